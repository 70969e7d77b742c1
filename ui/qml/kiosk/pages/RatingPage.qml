// Five levels of 好差评, from 非常满意 to 非常不满意, in one row of large faces.
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    id: root
    // The flow's current screen (kiosk/flows/base.py Screen.as_dict) and the taps on it.
    required property var page
    signal act(string name, var args)
    spacing: 28 * Theme.u
    RowLayout {
        Layout.fillWidth: true; spacing: 20 * Theme.u
        Repeater {
            model: root.page.choices || []
            BigButton { required property var modelData; objectName: "choice_" + modelData.id; Layout.fillWidth: true
                        Layout.preferredHeight: 220 * Theme.s; scale_: Theme.s
                        text: modelData.icon + "\n" + modelData.label
                        accent: modelData.accent; onClicked: root.act("choose", {"id": modelData.id}) }
        }
    }
    Item { Layout.fillHeight: true }
}
