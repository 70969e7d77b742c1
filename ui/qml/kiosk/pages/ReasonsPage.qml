// Why a rating is bad: one or more reasons (required) and an optional comment.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    spacing: 20 * root.s
    GridLayout {
        Layout.fillWidth: true; columns: root.portrait ? 2 : 3; columnSpacing: 20 * root.u; rowSpacing: 16 * root.u
        Repeater {
            model: root.page.choices || []
            BigButton { objectName: "reason_" + modelData.id; Layout.fillWidth: true; scale_: root.s * 0.9
                        text: (modelData.selected ? "✓ " : "") + modelData.label; accent: modelData.selected ? "blue" : ""
                        onClicked: root.act("toggle", {"id": modelData.id}) }
        }
    }
    TextField {
        objectName: "comment"
        Layout.fillWidth: true; font.pixelSize: 30 * root.s; implicitHeight: 84 * root.s
        placeholderText: root.page.comment_label || ""; text: root.page.comment || ""
        onTextEdited: root.act("comment", {"text": text})
    }
    BigButton { objectName: "button_send"; Layout.alignment: Qt.AlignHCenter; text: root.page.send_label || ""
                accent: "green"; enabled: !!root.page.can_send; scale_: root.s; Layout.preferredWidth: 420 * root.s
                onClicked: root.act("send") }
    Item { Layout.fillHeight: true }
}
