// The optional sub-scores of a rating (服务态度 / 办事效率 / 服务水平) on the five levels: every
// question on one screen, or in elder mode (page.one) one question with large faces; 跳过 sends
// what was given.
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    id: root
    // The flow's current screen (kiosk/flows/base.py Screen.as_dict) and the taps on it.
    required property var page
    signal act(string name, var args)
    spacing: 20 * Theme.s
    Repeater {
        model: root.page.lines || []
        Text { required property var modelData; Layout.fillWidth: true; text: modelData; font.pixelSize: 28 * Theme.s
               color: Theme.body; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter }
    }
    Repeater {
        model: root.page.questions || []
        ColumnLayout {
            id: question
            required property var modelData
            Layout.fillWidth: true; spacing: 10 * Theme.s
            Text { Layout.fillWidth: true; text: question.modelData.label; font.pixelSize: 34 * Theme.s; font.bold: true
                   color: Theme.ink; horizontalAlignment: root.page.one ? Text.AlignHCenter : Text.AlignLeft }
            RowLayout {
                Layout.fillWidth: true; spacing: 14 * Theme.u
                Repeater {
                    model: question.modelData.choices || []
                    BigButton {
                        required property var modelData
                        objectName: "score_" + question.modelData.id + "_" + modelData.id
                        Layout.fillWidth: true; Layout.preferredWidth: 1
                        Layout.preferredHeight: (root.page.one ? 220 : 120) * Theme.s
                        scale_: Theme.s * (root.page.one ? 1.0 : 0.7)
                        text: (modelData.selected ? "✓ " : "") + modelData.icon + "\n" + modelData.label
                        accent: modelData.selected ? "blue" : ""
                        onClicked: root.act("score", {"id": question.modelData.id, "level": modelData.id})
                    }
                }
            }
        }
    }
    RowLayout {
        Layout.alignment: Qt.AlignHCenter; spacing: 24 * Theme.u
        BigButton { objectName: "button_skip"; text: root.page.skip_label || ""; scale_: Theme.s
                    Layout.preferredWidth: 360 * Theme.s; onClicked: root.act("skip", {}) }
        BigButton { objectName: "button_send"; visible: !root.page.one; text: root.page.send_label || ""
                    accent: "green"; scale_: Theme.s; Layout.preferredWidth: 360 * Theme.s
                    onClicked: root.act("send", {}) }
    }
    Item { Layout.fillHeight: true }
}
