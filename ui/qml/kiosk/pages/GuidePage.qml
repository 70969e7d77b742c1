// One item's guide: conditions, materials, time limit, fee, where, how — and its 码上办 QR.
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "../../common"

GridLayout {
    id: root
    // The flow's current screen (kiosk/flows/base.py Screen.as_dict) and the taps on it.
    required property var page
    signal act(string name, var args)
    columns: Theme.portrait ? 1 : 2
    columnSpacing: 40 * Theme.u; rowSpacing: 24 * Theme.u
    ColumnLayout {
        id: guideText
        Layout.fillWidth: true; Layout.fillHeight: true
        ScrollView {
            id: scroll
            Layout.fillWidth: true; Layout.fillHeight: true; clip: true
            contentWidth: availableWidth
            ScrollBar.vertical.policy: contentHeight > height ? ScrollBar.AlwaysOn : ScrollBar.AsNeeded
            GridLayout {
                width: parent.width; columns: Theme.portrait ? 1 : 2; columnSpacing: 40 * Theme.u; rowSpacing: 18 * Theme.s
                Repeater {
                    model: root.page.sections || []
                    Column {
                        id: section
                        required property var modelData
                        Layout.fillWidth: true; Layout.alignment: Qt.AlignTop
                        Layout.preferredWidth: 1; spacing: 6 * Theme.u
                        Text { text: section.modelData.title; font.pixelSize: 30 * Theme.s; font.bold: true; color: "#1c5fb8" }
                        Repeater {
                            model: section.modelData.items
                            Text { required property var modelData; width: parent.width; text: "• " + modelData; font.pixelSize: 28 * Theme.s
                                   color: "#2c3e50"; wrapMode: Text.WordWrap }
                        }
                    }
                }
            }
        }
        ScrollCue { flick: scroll.contentItem as Flickable }
        Row {
            spacing: 24 * Theme.u
            Repeater {
                model: root.page.buttons || []
                BigButton { required property var modelData; objectName: "button_" + modelData.id; text: modelData.label; accent: modelData.accent
                            scale_: Theme.s; onClicked: root.act(modelData.id, {})
                            width: Theme.buttonWidth(380 * Theme.s, (root.page.buttons || []).length, guideText.width) }
            }
        }
    }
    QrImage { Layout.alignment: Theme.portrait ? Qt.AlignHCenter : Qt.AlignTop; value: root.page.qr || ""; caption: root.page.qr_label || ""
              side: 260 * Theme.s }
}
