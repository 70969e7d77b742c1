// Why a rating is bad: one or more reasons (required) and an optional comment.
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
    GridLayout {
        Layout.fillWidth: true; columns: Theme.portrait ? 2 : 3; columnSpacing: 20 * Theme.u; rowSpacing: 16 * Theme.u
        Repeater {
            model: root.page.choices || []
            BigButton { required property var modelData; objectName: "reason_" + modelData.id; Layout.fillWidth: true; scale_: Theme.s * 0.9
                        text: (modelData.selected ? "✓ " : "") + modelData.label; accent: modelData.selected ? "blue" : ""
                        onClicked: root.act("toggle", {"id": modelData.id}) }
        }
    }
    TextField {
        objectName: "comment"
        Layout.fillWidth: true; font.pixelSize: 30 * Theme.s; implicitHeight: Math.max(Theme.touch, 84 * Theme.s)
        placeholderText: root.page.comment_label || ""; text: root.page.comment || ""
        onTextEdited: root.act("comment", {"text": text})
    }
    BigButton { objectName: "button_send"; Layout.alignment: Qt.AlignHCenter; text: root.page.send_label || ""
                accent: "green"; enabled: !!root.page.can_send; scale_: Theme.s; Layout.preferredWidth: 420 * Theme.s
                onClicked: root.act("send", {}) }
    Item { Layout.fillHeight: true }
}
