// Up to eight big choices in a grid, with optional explanatory lines above them.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    spacing: 24 * root.s
    Repeater {
        model: root.page.lines || []
        Text { Layout.fillWidth: true; text: modelData; font.pixelSize: 30 * root.s; color: "#34495e"
               wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter }
    }
    // A long list (many items, elder mode) scrolls, with its bar always shown so that it is seen.
    ScrollView {
        Layout.fillWidth: true; Layout.fillHeight: true; clip: true
        contentWidth: availableWidth
        ScrollBar.vertical.policy: contentHeight > height ? ScrollBar.AlwaysOn : ScrollBar.AsNeeded
        GridLayout {
            width: parent.width
            columns: Math.min(root.columns, Math.max(1, (root.page.choices || []).length))
            columnSpacing: 24 * root.u; rowSpacing: 24 * root.u
            Repeater {
                model: root.page.choices || []
                BigButton {
                    objectName: "choice_" + modelData.id
                    Layout.fillWidth: true
                    Layout.preferredHeight: (root.page.home ? (root.portrait ? 300 : 190) : 130) * root.s
                    scale_: root.s
                    text: modelData.label; sublabel: modelData.sublabel; accent: modelData.accent
                    enabled: modelData.enabled
                    onClicked: root.page.action === "by_id" ? root.act(modelData.id)
                                                            : root.act("choose", {"id": modelData.id})
                }
            }
        }
    }
}
