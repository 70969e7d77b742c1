// The ticket (or application receipt) shown large, with its QR — the fallback when paper fails.
// Landscape: the number and what it means on the left, QR and "done" on the right; upright: one
// column. Sized so that elder mode on a 1280×720 panel still shows every line (see the layout test).
import QtQuick
import QtQuick.Layouts
import "../../common"

GridLayout {
    columns: root.portrait ? 1 : 2
    columnSpacing: 32 * root.u; rowSpacing: 24 * root.u
    ColumnLayout {
        Layout.fillWidth: true; Layout.fillHeight: !root.portrait; Layout.alignment: Qt.AlignTop
        spacing: 10 * root.s
        Rectangle {
            Layout.alignment: Qt.AlignHCenter
            implicitWidth: numberText.implicitWidth + 120 * root.u; implicitHeight: numberText.implicitHeight + 40 * root.u
            radius: 24 * root.u; color: root.page.printed ? "#1c5fb8" : "#b03a2e"
            Text { id: numberText; objectName: "ticketNumber"; anchors.centerIn: parent
                   text: root.page.number || ""; color: "white"; font.bold: true
                   // Not enlarged in elder mode: it is already the largest thing, the lines need the room.
                   font.pixelSize: (String(root.page.number || "").length > 8 ? 64 : 150) * root.u }
        }
        Text { Layout.fillWidth: true; text: root.page.service || ""; font.pixelSize: 36 * root.s; font.bold: true
               color: "#12355b"; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap }
        Repeater {
            model: root.page.lines || []
            Text { Layout.fillWidth: true; text: modelData; font.pixelSize: 30 * root.s; color: "#34495e"
                   wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter }
        }
        Item { Layout.fillHeight: true; visible: !root.portrait }
    }
    ColumnLayout {
        id: side
        Layout.alignment: root.portrait ? Qt.AlignHCenter : Qt.AlignTop
        Layout.preferredWidth: root.portrait ? -1 : 400 * root.s
        spacing: 24 * root.u
        QrImage { Layout.alignment: Qt.AlignHCenter; value: root.page.qr || ""; side: 300 * root.u }
        Row {
            Layout.alignment: Qt.AlignHCenter; spacing: 24 * root.u
            Repeater {
                model: root.page.buttons || []
                BigButton { objectName: "button_" + modelData.id; text: modelData.label; accent: "green"
                            scale_: root.s; onClicked: root.act(modelData.id)
                            width: root.buttonWidth(400 * root.s, root.portrait ? pageLoader.width : 400 * root.s) }
            }
        }
    }
}
