// A short free text (complaint or suggestion) typed with the Pinyin keyboard.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    spacing: 20 * root.s
    TextArea {
        objectName: "text"
        Layout.fillWidth: true; Layout.preferredHeight: 260 * root.s
        font.pixelSize: 30 * root.s; wrapMode: TextEdit.Wrap
        placeholderText: root.page.placeholder || ""; text: root.page.value || ""
        background: Rectangle { color: "white"; radius: 12 * root.u; border.color: "#c9d6e6"; border.width: 2 }
        onTextChanged: if (text !== (root.page.value || "")) root.act("text", {"text": text})
    }
    BigButton { objectName: "button_send"; Layout.alignment: Qt.AlignHCenter; text: root.page.send_label || ""
                accent: "green"; enabled: !!root.page.can_send; scale_: root.s; Layout.preferredWidth: 420 * root.s
                onClicked: root.act("send") }
    Item { Layout.fillHeight: true }
}
