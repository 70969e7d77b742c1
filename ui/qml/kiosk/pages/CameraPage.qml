// The photo of a material, already cropped to the page: use it or take it again.
import QtQuick
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    spacing: 20 * root.s
    Rectangle {
        Layout.fillWidth: true; Layout.fillHeight: true; color: "#1b2631"; radius: 16 * root.u
        Image { anchors.fill: parent; anchors.margins: 16 * root.u; fillMode: Image.PreserveAspectFit; cache: false
                source: root.page.preview ? "file://" + root.page.preview : "" }
        Text { anchors.centerIn: parent; visible: (root.page.problem || "") !== ""; text: root.page.problem || ""
               color: "#f5b7b1"; font.pixelSize: 30 * root.s; wrapMode: Text.WordWrap; width: parent.width * 0.8
               horizontalAlignment: Text.AlignHCenter }
    }
    Row {
        Layout.alignment: Qt.AlignHCenter; spacing: 32 * root.u
        Repeater {
            model: root.page.buttons || []
            BigButton { objectName: "button_" + modelData.id; text: modelData.label; enabled: modelData.enabled
                        accent: modelData.id === "use" ? "green" : ""; scale_: root.s; width: root.buttonWidth(380 * root.s)
                        onClicked: root.act(modelData.id) }
        }
    }
}
