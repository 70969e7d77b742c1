// Five levels of 好差评, from 非常满意 to 非常不满意, in one row of large faces.
import QtQuick
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    spacing: 28 * root.u
    RowLayout {
        Layout.fillWidth: true; spacing: 20 * root.u
        Repeater {
            model: root.page.choices || []
            BigButton { objectName: "choice_" + modelData.id; Layout.fillWidth: true
                        Layout.preferredHeight: 220 * root.s; scale_: root.s
                        text: ["😄", "🙂", "😐", "🙁", "😠"][index] + "\n" + modelData.label
                        accent: modelData.accent; onClicked: root.act("choose", {"id": modelData.id}) }
        }
    }
    Item { Layout.fillHeight: true }
}
