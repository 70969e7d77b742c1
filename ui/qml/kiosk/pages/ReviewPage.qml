// Label / value rows to check (application review, progress result), then the buttons.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    spacing: 20 * root.s
    ScrollView {
        Layout.fillWidth: true; Layout.fillHeight: true; clip: true
        Column {
            width: parent.width; spacing: 4 * root.u
            Repeater {
                model: root.page.rows || []
                Rectangle {
                    width: parent.width; height: Math.max(72 * root.s, valueText.implicitHeight + 24); color: index % 2 ? "#f7f9fc" : "white"
                    Text { x: 120; width: parent.width * 0.28; anchors.verticalCenter: parent.verticalCenter
                           text: modelData.label; font.pixelSize: 28 * root.s; color: "#4a5d73"; wrapMode: Text.WordWrap }
                    Text { id: valueText; x: parent.width * 0.28 + 150; width: parent.width * 0.6 - 150
                           anchors.verticalCenter: parent.verticalCenter
                           text: modelData.value; font.pixelSize: 30 * root.s; color: "#12355b"; font.bold: true; wrapMode: Text.WordWrap }
                }
            }
        }
    }
    Row {
        Layout.alignment: Qt.AlignHCenter; spacing: 32 * root.u
        Repeater {
            model: root.page.buttons || []
            BigButton { objectName: "button_" + modelData.id; text: modelData.label; accent: modelData.accent
                        scale_: root.s; width: root.buttonWidth(400 * root.s); onClicked: root.act(modelData.id) }
        }
    }
}
