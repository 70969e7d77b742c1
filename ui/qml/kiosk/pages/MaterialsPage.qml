// The item's materials: photographed, read from the card, owed (容缺) or still missing.
import QtQuick
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    spacing: 16 * root.s
    Repeater {
        model: root.page.rows || []
        Rectangle {
            Layout.fillWidth: true; Layout.leftMargin: (root.portrait ? 0 : 80) * root.u
            Layout.rightMargin: (root.portrait ? 0 : 80) * root.u
            implicitHeight: Math.max(120 * root.s, materialText.implicitHeight + 32 * root.u); radius: 16 * root.u; color: "white"; border.color: modelData.done ? "#1f8f4e" : "#c9d6e6"; border.width: 2
            RowLayout {
                anchors.fill: parent; anchors.margins: 16 * root.u; spacing: 20 * root.u
                Image { visible: modelData.photo !== ""; source: modelData.photo ? "file://" + modelData.photo : ""
                        Layout.preferredWidth: 90 * root.s; Layout.preferredHeight: 90 * root.s; fillMode: Image.PreserveAspectFit }
                ColumnLayout {
                    id: materialText
                    Layout.fillWidth: true
                    Text { text: modelData.name + (modelData.core ? " *" : ""); font.pixelSize: 30 * root.s; font.bold: true
                           color: "#12355b"; Layout.fillWidth: true; wrapMode: Text.WordWrap }
                    Text { text: modelData.status; font.pixelSize: 24 * root.s; color: modelData.done ? "#1f8f4e" : "#b9770e"
                           Layout.fillWidth: true; wrapMode: Text.WordWrap }
                }
                BigButton { objectName: "capture_" + modelData.index; text: root.page.labels.capture; scale_: root.s * 0.7
                            Layout.preferredWidth: (root.portrait ? 170 : 220) * root.s; visible: modelData.status !== "" && !(modelData.done && modelData.photo === "" && !modelData.tolerable)
                            onClicked: root.act("capture", {"index": modelData.index}) }
                BigButton { objectName: "owe_" + modelData.index; text: root.page.labels.owe; scale_: root.s * 0.7
                            Layout.preferredWidth: (root.portrait ? 170 : 220) * root.s; visible: modelData.tolerable && !modelData.done
                            onClicked: root.act("owe", {"index": modelData.index}) }
            }
        }
    }
    Item { Layout.fillHeight: true }
    BigButton { objectName: "button_next"; Layout.alignment: Qt.AlignHCenter; text: root.page.next_label || ""
                accent: "green"; enabled: !!root.page.can_next; scale_: root.s; Layout.preferredWidth: 420 * root.s
                onClicked: root.act("next") }
}
