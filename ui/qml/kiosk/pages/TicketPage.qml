// The ticket (or application receipt) shown large, with its QR — the fallback when paper fails.
// Landscape: the number and what it means on the left, QR and "done" on the right; upright: one
// column. Sized so that elder mode on a 1280×720 panel still shows every line (see the layout test).
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
    columnSpacing: 32 * Theme.u; rowSpacing: 24 * Theme.u
    ColumnLayout {
        Layout.fillWidth: true; Layout.fillHeight: !Theme.portrait; Layout.alignment: Qt.AlignTop
        spacing: 10 * Theme.s
        Rectangle {
            Layout.alignment: Qt.AlignHCenter
            implicitWidth: numberText.implicitWidth + 120 * Theme.u; implicitHeight: numberText.implicitHeight + 40 * Theme.u
            radius: 24 * Theme.u; color: root.page.printed ? "#1c5fb8" : "#b03a2e"
            Text { id: numberText; objectName: "ticketNumber"; anchors.centerIn: parent
                   text: root.page.number || ""; color: "white"; font.bold: true
                   // Not enlarged in elder mode: it is already the largest thing, the lines need the room.
                   font.pixelSize: (String(root.page.number || "").length > 8 ? 64 : 150) * Theme.u }
        }
        Text { Layout.fillWidth: true; text: root.page.service || ""; font.pixelSize: 36 * Theme.s; font.bold: true
               color: "#12355b"; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap }
        Repeater {
            model: root.page.lines || []
            Text { required property var modelData; Layout.fillWidth: true; text: modelData; font.pixelSize: 30 * Theme.s; color: "#34495e"
                   wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter }
        }
        Item { Layout.fillHeight: true; visible: !Theme.portrait }
    }
    ColumnLayout {
        id: side
        Layout.alignment: Theme.portrait ? Qt.AlignHCenter : Qt.AlignTop
        Layout.preferredWidth: Theme.portrait ? -1 : 400 * Theme.s
        spacing: 24 * Theme.u
        QrImage { Layout.alignment: Qt.AlignHCenter; value: root.page.qr || ""; side: 300 * Theme.u }
        Row {
            Layout.alignment: Qt.AlignHCenter; spacing: 24 * Theme.u
            Repeater {
                model: root.page.buttons || []
                BigButton { required property var modelData; objectName: "button_" + modelData.id; text: modelData.label; accent: "green"
                            scale_: Theme.s; onClicked: root.act(modelData.id, {})
                            width: Theme.buttonWidth(400 * Theme.s, (root.page.buttons || []).length, Theme.portrait ? root.width : 400 * Theme.s) }
            }
        }
    }
}
