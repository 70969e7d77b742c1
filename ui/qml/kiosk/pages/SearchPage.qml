// Search the catalogue by characters or pinyin initials; the Pinyin keyboard types into it.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    spacing: 20 * root.s
    TextField {
        id: query
        objectName: "searchField"
        Layout.fillWidth: true; Layout.leftMargin: 120; Layout.rightMargin: 120
        font.pixelSize: 36 * root.s; implicitHeight: 90 * root.s
        placeholderText: root.page.placeholder || ""
        text: root.page.query || ""
        onTextEdited: root.act("query", {"text": text})
        Component.onCompleted: forceActiveFocus()
    }
    Repeater {
        model: root.page.lines || []
        Text { Layout.fillWidth: true; text: modelData; font.pixelSize: 28 * root.s; color: "#b9770e"
               horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap }
    }
    GridLayout {
        Layout.fillWidth: true; columns: root.portrait ? 1 : 2; columnSpacing: 20; rowSpacing: 16
        Repeater {
            model: root.page.choices || []
            BigButton { objectName: "choice_" + modelData.id; Layout.fillWidth: true; scale_: root.s * 0.85
                        text: modelData.label; sublabel: modelData.sublabel
                        onClicked: root.act("choose", {"id": modelData.id}) }
        }
    }
    Item { Layout.fillHeight: true }
}
