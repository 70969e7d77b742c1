// An on-screen keypad for ticket and receipt numbers (letters the numbers use, digits).
// Landscape: what was typed and the OK button beside the keys; upright: above and below them.
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Layouts
import "../../common"

GridLayout {
    id: root
    // The flow's current screen (kiosk/flows/base.py Screen.as_dict) and the taps on it.
    required property var page
    signal act(string name, var args)
    columns: Theme.portrait ? 1 : 2
    columnSpacing: 40 * Theme.u; rowSpacing: 18 * Theme.s
    ColumnLayout {
        id: entry
        // The width left beside (or above) the keys; set, not implied, so the boxes can follow it.
        property real room: Theme.portrait ? root.width : root.width - keys.width - 40 * Theme.u
        Layout.preferredWidth: room; Layout.alignment: Qt.AlignTop; spacing: 18 * Theme.s
        Repeater {
            model: root.page.lines || []
            Text { required property var modelData; Layout.fillWidth: true; text: modelData; font.pixelSize: 26 * Theme.s; color: "#4a5d73"
                   horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap }
        }
        Rectangle {
            Layout.alignment: Qt.AlignHCenter; implicitWidth: Math.min(640 * Theme.s, entry.room); implicitHeight: 100 * Theme.s
            radius: 14 * Theme.u; color: "white"; border.color: "#1c5fb8"; border.width: 3
            Text { objectName: "keypadValue"; anchors.fill: parent; anchors.margins: 12 * Theme.u
                   horizontalAlignment: Text.AlignHCenter; verticalAlignment: Text.AlignVCenter
                   // A long receipt number shrinks to fit the box rather than running out of it.
                   fontSizeMode: Text.HorizontalFit; minimumPixelSize: 20
                   text: root.page.value || ""; font.pixelSize: 56 * Theme.s; font.bold: true; font.letterSpacing: 6
                   color: "#12355b" }
        }
        Text { Layout.fillWidth: true; visible: (root.page.problem || "") !== ""; text: root.page.problem || ""
               color: "#b03a2e"; font.pixelSize: 28 * Theme.s; horizontalAlignment: Text.AlignHCenter
               wrapMode: Text.WordWrap }
        BigButton { objectName: "button_ok"; Layout.alignment: Qt.AlignHCenter; text: root.page.ok_label || ""
                    accent: "green"; scale_: Theme.s; Layout.preferredWidth: Math.min(420 * Theme.s, entry.room)
                    enabled: (root.page.value || "") !== ""; onClicked: root.act("ok", {}) }
    }
    Grid {
        id: keys
        Layout.alignment: Theme.portrait ? Qt.AlignHCenter : Qt.AlignTop
        columns: Theme.portrait ? 4 : 6; spacing: 12 * Theme.u
        Repeater {
            // The letters the numbers here can start with come with the screen (a ticket keypad has
            // the hall's service prefixes); the digits and the two editing keys are always there.
            model: (root.page.letters || []).concat(["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "del", "clear"])
            BigButton { required property var modelData; objectName: "key_" + modelData; width: 130 * Theme.s; height: 96 * Theme.s; scale_: Theme.s * 0.9
                        text: modelData === "del" ? "⌫" : modelData === "clear" ? "C" : modelData
                        onClicked: root.act("key", {"key": modelData}) }
        }
    }
    Item { Layout.fillHeight: true; Layout.columnSpan: Theme.portrait ? 1 : 2 }
}
