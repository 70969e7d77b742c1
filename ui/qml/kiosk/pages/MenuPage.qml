// Up to eight big choices in a grid, with optional explanatory lines above them.
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
    spacing: 24 * Theme.s
    Repeater {
        model: root.page.lines || []
        Text { required property var modelData; Layout.fillWidth: true; text: modelData; font.pixelSize: 30 * Theme.s; color: "#34495e"
               wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter }
    }
    // A long list (many items, elder mode) scrolls, with its bar always shown so that it is seen.
    ScrollView {
        Layout.fillWidth: true; Layout.fillHeight: true; clip: true
        contentWidth: availableWidth
        ScrollBar.vertical.policy: contentHeight > height ? ScrollBar.AlwaysOn : ScrollBar.AsNeeded
        GridLayout {
            width: parent.width
            // The home screen's six choices fit one landscape screen in elder mode in three columns.
            columns: Math.min(root.page.home && !Theme.portrait ? 3 : Theme.columns,
                              Math.max(1, (root.page.choices || []).length))
            columnSpacing: 24 * Theme.u; rowSpacing: 24 * Theme.u
            Repeater {
                model: root.page.choices || []
                BigButton {
                    required property var modelData
                    objectName: "choice_" + modelData.id
                    Layout.fillWidth: true
                    // the design height, or taller when a label wraps (elder mode, upright): the
                    // whole label and its sub-line are always inside the tile
                    Layout.preferredHeight: Math.max((root.page.home ? (Theme.portrait ? 300 : 190) : 130) * Theme.s,
                                                     implicitHeight)
                    scale_: Theme.s
                    text: modelData.label; sublabel: modelData.sublabel; accent: modelData.accent
                    enabled: modelData.enabled
                    onClicked: root.page.action === "by_id" ? root.act(modelData.id, {})
                                                            : root.act("choose", {"id": modelData.id})
                }
            }
        }
    }
}
