// Label / value rows to check (application review, progress result), then the buttons.
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    id: root
    // The flow's current screen (kiosk/flows/base.py Screen.as_dict) and the taps on it.
    required property var page
    signal act(string name, var args)
    spacing: 20 * Theme.s
    // The rows scroll (the amount may be below the fold in elder mode): bar and cue say so.
    ScrollView {
        id: scroll
        Layout.fillWidth: true; Layout.fillHeight: true; clip: true
        ScrollBar.vertical.policy: contentHeight > height ? ScrollBar.AlwaysOn : ScrollBar.AsNeeded
        Column {
            width: parent.width; spacing: 4 * Theme.u
            Repeater {
                model: root.page.rows || []
                Rectangle {
                    id: row
                    required property var modelData
                    required property int index
                    width: parent.width; height: Math.max(72 * Theme.s, valueText.implicitHeight + 24); color: index % 2 ? "#f7f9fc" : "white"
                    Text { x: 120; width: parent.width * 0.28; anchors.verticalCenter: parent.verticalCenter
                           text: row.modelData.label; font.pixelSize: 28 * Theme.s; color: "#4a5d73"; wrapMode: Text.WordWrap }
                    Text { id: valueText; x: parent.width * 0.28 + 150; width: parent.width * 0.6 - 150
                           anchors.verticalCenter: parent.verticalCenter
                           text: row.modelData.value; font.pixelSize: 30 * Theme.s; color: "#12355b"; font.bold: true; wrapMode: Text.WordWrap }
                }
            }
        }
    }
    ScrollCue { flick: scroll.contentItem as Flickable }
    Row {
        Layout.alignment: Qt.AlignHCenter; spacing: 32 * Theme.u
        Repeater {
            model: root.page.buttons || []
            BigButton { required property var modelData; objectName: "button_" + modelData.id; text: modelData.label; accent: modelData.accent
                        scale_: Theme.s; width: Theme.buttonWidth(400 * Theme.s, (root.page.buttons || []).length, root.width); onClicked: root.act(modelData.id, {}) }
        }
    }
}
