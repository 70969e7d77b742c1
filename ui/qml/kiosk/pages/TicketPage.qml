// The ticket (or application receipt) shown large, with its QR — the fallback when paper fails.
import QtQuick
import QtQuick.Layouts
import "../../common"

RowLayout {
    spacing: 48
    ColumnLayout {
        Layout.fillWidth: true; Layout.fillHeight: true; spacing: 20 * root.s
        Rectangle {
            Layout.alignment: Qt.AlignHCenter
            implicitWidth: numberText.implicitWidth + 120; implicitHeight: numberText.implicitHeight + 40
            radius: 24; color: root.page.printed ? "#1c5fb8" : "#b03a2e"
            Text { id: numberText; objectName: "ticketNumber"; anchors.centerIn: parent
                   text: root.page.number || ""; color: "white"; font.bold: true
                   font.pixelSize: (String(root.page.number || "").length > 8 ? 64 : 150) * root.s }
        }
        Text { Layout.fillWidth: true; text: root.page.service || ""; font.pixelSize: 36 * root.s; font.bold: true
               color: "#12355b"; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap }
        Repeater {
            model: root.page.lines || []
            Text { Layout.fillWidth: true; text: modelData; font.pixelSize: 30 * root.s; color: "#34495e"
                   wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter }
        }
        Row {
            Layout.alignment: Qt.AlignHCenter; spacing: 24
            Repeater {
                model: root.page.buttons || []
                BigButton { objectName: "button_" + modelData.id; text: modelData.label; accent: "green"
                            scale_: root.s; width: 400 * root.s; onClicked: root.act(modelData.id) }
            }
        }
        Item { Layout.fillHeight: true }
    }
    QrImage { Layout.alignment: Qt.AlignTop; value: root.page.qr || ""; side: 300 * root.s }
}
