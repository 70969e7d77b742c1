// An on-screen keypad for ticket and receipt numbers (letters the numbers use, digits).
// Landscape: what was typed and the OK button beside the keys; upright: above and below them.
import QtQuick
import QtQuick.Layouts
import "../../common"

GridLayout {
    columns: root.portrait ? 1 : 2
    columnSpacing: 40 * root.u; rowSpacing: 18 * root.s
    ColumnLayout {
        id: entry
        // The width left beside (or above) the keys; set, not implied, so the boxes can follow it.
        property real room: root.portrait ? pageLoader.width : pageLoader.width - keys.width - 40 * root.u
        Layout.preferredWidth: room; Layout.alignment: Qt.AlignTop; spacing: 18 * root.s
        Repeater {
            model: root.page.lines || []
            Text { Layout.fillWidth: true; text: modelData; font.pixelSize: 26 * root.s; color: "#4a5d73"
                   horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap }
        }
        Rectangle {
            Layout.alignment: Qt.AlignHCenter; width: Math.min(640 * root.s, entry.room); height: 100 * root.s
            radius: 14 * root.u; color: "white"; border.color: "#1c5fb8"; border.width: 3
            Text { objectName: "keypadValue"; anchors.fill: parent; anchors.margins: 12 * root.u
                   horizontalAlignment: Text.AlignHCenter; verticalAlignment: Text.AlignVCenter
                   // A long receipt number shrinks to fit the box rather than running out of it.
                   fontSizeMode: Text.HorizontalFit; minimumPixelSize: 20
                   text: root.page.value || ""; font.pixelSize: 56 * root.s; font.bold: true; font.letterSpacing: 6
                   color: "#12355b" }
        }
        Text { Layout.fillWidth: true; visible: (root.page.problem || "") !== ""; text: root.page.problem || ""
               color: "#b03a2e"; font.pixelSize: 28 * root.s; horizontalAlignment: Text.AlignHCenter
               wrapMode: Text.WordWrap }
        BigButton { objectName: "button_ok"; Layout.alignment: Qt.AlignHCenter; text: root.page.ok_label || ""
                    accent: "green"; scale_: root.s; Layout.preferredWidth: Math.min(420 * root.s, entry.room)
                    enabled: (root.page.value || "") !== ""; onClicked: root.act("ok") }
    }
    Grid {
        id: keys
        Layout.alignment: root.portrait ? Qt.AlignHCenter : Qt.AlignTop
        columns: root.portrait ? 4 : 6; spacing: 12 * root.u
        Repeater {
            model: (root.page.layout === "receipt" ? ["S", "G", "L", "K"] : ["A", "B", "C", "D", "E"])
                   .concat(["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "del", "clear"])
            BigButton { objectName: "key_" + modelData; width: 130 * root.s; height: 96 * root.s; scale_: root.s * 0.9
                        text: modelData === "del" ? "⌫" : modelData === "clear" ? "C" : modelData
                        onClicked: root.act("key", {"key": modelData}) }
        }
    }
    Item { Layout.fillHeight: true; Layout.columnSpan: root.portrait ? 1 : 2 }
}
