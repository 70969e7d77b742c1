// A result or a problem in plain words, with what to do next.
import QtQuick
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    spacing: 28 * root.s
    Rectangle {
        Layout.alignment: Qt.AlignHCenter
        width: 120 * root.s; height: width; radius: width / 2
        color: root.page.kind === "warning" ? "#e67e22" : root.page.kind === "ok" ? "#1f8f4e" : "#1c5fb8"
        Text { anchors.centerIn: parent; color: "white"; font.pixelSize: 72 * root.s; font.bold: true
               text: root.page.kind === "warning" ? "!" : root.page.kind === "ok" ? "✓" : "i" }
    }
    Repeater {
        model: root.page.lines || []
        Text { Layout.fillWidth: true; Layout.leftMargin: 80 * root.u; Layout.rightMargin: 80 * root.u
               text: modelData; font.pixelSize: 32 * root.s; color: "#34495e"
               wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter }
    }
    Row {
        Layout.alignment: Qt.AlignHCenter; spacing: 32 * root.u
        Repeater {
            model: root.page.buttons || []
            BigButton { objectName: "button_" + modelData.id; text: modelData.label; accent: modelData.accent
                        scale_: root.s; width: root.buttonWidth(440 * root.s); enabled: modelData.enabled
                        onClicked: root.act(modelData.id) }
        }
    }
    Item { Layout.fillHeight: true }
}
