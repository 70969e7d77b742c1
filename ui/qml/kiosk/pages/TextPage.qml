// A short free text (complaint or suggestion) typed with the Pinyin keyboard.
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
    TextArea {
        objectName: "text"
        Layout.fillWidth: true; Layout.preferredHeight: 260 * Theme.s
        font.pixelSize: 30 * Theme.s; wrapMode: TextEdit.Wrap
        placeholderText: root.page.placeholder || ""; text: root.page.value || ""
        background: Rectangle { color: "white"; radius: 12 * Theme.u; border.color: "#c9d6e6"; border.width: 2 }
        onTextChanged: if (text !== (root.page.value || "")) root.act("text", {"text": text})
    }
    BigButton { objectName: "button_send"; Layout.alignment: Qt.AlignHCenter; text: root.page.send_label || ""
                accent: "green"; enabled: !!root.page.can_send; scale_: Theme.s; Layout.preferredWidth: 420 * Theme.s
                onClicked: root.act("send", {}) }
    Item { Layout.fillHeight: true }
}
