// A result or a problem in plain words, with what to do next.
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    id: root
    // The flow's current screen (kiosk/flows/base.py Screen.as_dict) and the taps on it.
    required property var page
    signal act(string name, var args)
    spacing: 28 * Theme.s
    Rectangle {
        Layout.alignment: Qt.AlignHCenter
        implicitWidth: 120 * Theme.s; implicitHeight: implicitWidth; radius: width / 2
        color: root.page.kind === "warning" ? "#a85300" : root.page.kind === "ok" ? "#187a42" : "#1c5fb8"
        Text { anchors.centerIn: parent; color: "white"; font.pixelSize: 72 * Theme.s; font.bold: true
               text: root.page.kind === "warning" ? "!" : root.page.kind === "ok" ? "✓" : "i" }
    }
    Repeater {
        model: root.page.lines || []
        Text { required property var modelData; Layout.fillWidth: true; Layout.leftMargin: 80 * Theme.u; Layout.rightMargin: 80 * Theme.u
               text: modelData; font.pixelSize: 32 * Theme.s; color: "#34495e"
               wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter }
    }
    Row {
        Layout.alignment: Qt.AlignHCenter; spacing: 32 * Theme.u
        Repeater {
            model: root.page.buttons || []
            BigButton { required property var modelData; objectName: "button_" + modelData.id; text: modelData.label; accent: modelData.accent
                        scale_: Theme.s; width: Theme.buttonWidth(440 * Theme.s, (root.page.buttons || []).length, root.width); enabled: modelData.enabled
                        onClicked: root.act(modelData.id, {}) }
        }
    }
    Item { Layout.fillHeight: true }
}
