// Up to eight big choices in a grid, with optional explanatory lines above them.
import QtQuick
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    spacing: 24 * root.s
    Repeater {
        model: root.page.lines || []
        Text { Layout.fillWidth: true; text: modelData; font.pixelSize: 30 * root.s; color: "#34495e"
               wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter }
    }
    GridLayout {
        Layout.fillWidth: true
        Layout.alignment: Qt.AlignTop
        columns: Math.min(root.columns, Math.max(1, (root.page.choices || []).length))
        columnSpacing: 24; rowSpacing: 24
        Repeater {
            model: root.page.choices || []
            BigButton {
                objectName: "choice_" + modelData.id
                Layout.fillWidth: true
                Layout.preferredHeight: (root.page.home ? 190 : 130) * root.s
                scale_: root.s
                text: modelData.label; sublabel: modelData.sublabel; accent: modelData.accent
                enabled: modelData.enabled
                onClicked: root.page.action === "by_id" ? root.act(modelData.id)
                                                        : root.act("choose", {"id": modelData.id})
            }
        }
    }
    Item { Layout.fillHeight: true }
}
