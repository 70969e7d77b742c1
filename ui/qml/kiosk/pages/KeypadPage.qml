// An on-screen keypad for ticket and receipt numbers (letters the numbers use, digits).
import QtQuick
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    spacing: 18 * root.s
    Repeater {
        model: root.page.lines || []
        Text { Layout.fillWidth: true; text: modelData; font.pixelSize: 26 * root.s; color: "#4a5d73"
               horizontalAlignment: Text.AlignHCenter }
    }
    Rectangle {
        Layout.alignment: Qt.AlignHCenter; width: 640 * root.s; height: 100 * root.s; radius: 14; color: "white"
        border.color: "#1c5fb8"; border.width: 3
        Text { objectName: "keypadValue"; anchors.centerIn: parent; text: root.page.value || ""
               font.pixelSize: 56 * root.s; font.bold: true; font.letterSpacing: 6; color: "#12355b" }
    }
    Text { Layout.fillWidth: true; visible: (root.page.problem || "") !== ""; text: root.page.problem || ""
           color: "#b03a2e"; font.pixelSize: 28 * root.s; horizontalAlignment: Text.AlignHCenter }
    Grid {
        Layout.alignment: Qt.AlignHCenter
        columns: 6; spacing: 12
        Repeater {
            model: (root.page.layout === "receipt" ? ["S", "G", "L", "K"] : ["A", "B", "C", "D", "E"])
                   .concat(["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "del", "clear"])
            BigButton { objectName: "key_" + modelData; width: 130 * root.s; height: 96 * root.s; scale_: root.s * 0.9
                        text: modelData === "del" ? "⌫" : modelData === "clear" ? "C" : modelData
                        onClicked: root.act("key", {"key": modelData}) }
        }
    }
    BigButton { objectName: "button_ok"; Layout.alignment: Qt.AlignHCenter; text: root.page.ok_label || ""
                accent: "green"; scale_: root.s; Layout.preferredWidth: 420 * root.s; enabled: (root.page.value || "") !== ""
                onClicked: root.act("ok") }
    Item { Layout.fillHeight: true }
}
