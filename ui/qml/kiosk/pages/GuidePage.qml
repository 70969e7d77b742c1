// One item's guide: conditions, materials, time limit, fee, where, how — and its 码上办 QR.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "../../common"

GridLayout {
    columns: root.portrait ? 1 : 2
    columnSpacing: 40 * root.u; rowSpacing: 24 * root.u
    ColumnLayout {
        id: guideText
        Layout.fillWidth: true; Layout.fillHeight: true
        ScrollView {
            Layout.fillWidth: true; Layout.fillHeight: true; clip: true
            contentWidth: availableWidth
            GridLayout {
                width: parent.width; columns: root.portrait ? 1 : 2; columnSpacing: 40 * root.u; rowSpacing: 18 * root.s
                Repeater {
                    model: root.page.sections || []
                    Column {
                        Layout.fillWidth: true; Layout.alignment: Qt.AlignTop
                        Layout.preferredWidth: 1; spacing: 6 * root.u
                        Text { text: modelData.title; font.pixelSize: 30 * root.s; font.bold: true; color: "#1c5fb8" }
                        Repeater {
                            model: modelData.items
                            Text { width: parent.width; text: "• " + modelData; font.pixelSize: 28 * root.s
                                   color: "#2c3e50"; wrapMode: Text.WordWrap }
                        }
                    }
                }
            }
        }
        Row {
            spacing: 24 * root.u
            Repeater {
                model: root.page.buttons || []
                BigButton { objectName: "button_" + modelData.id; text: modelData.label; accent: modelData.accent
                            scale_: root.s; onClicked: root.act(modelData.id)
                            width: root.buttonWidth(380 * root.s, guideText.width) }
            }
        }
    }
    QrImage { Layout.alignment: root.portrait ? Qt.AlignHCenter : Qt.AlignTop; value: root.page.qr || ""; caption: root.page.qr_label || ""
              side: 260 * root.s }
}
