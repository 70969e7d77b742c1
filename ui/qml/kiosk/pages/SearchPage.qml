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
        Layout.fillWidth: true; Layout.leftMargin: 120 * root.u; Layout.rightMargin: 120 * root.u
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
    // The results scroll: more of them than fit above the keyboard is the normal case.
    ScrollView {
        Layout.fillWidth: true; Layout.fillHeight: true; clip: true
        contentWidth: availableWidth
        GridLayout {
            width: parent.width; columns: root.portrait ? 1 : 2; columnSpacing: 20 * root.u; rowSpacing: 16 * root.u
            Repeater {
                model: root.page.choices || []
                BigButton { objectName: "choice_" + modelData.id; Layout.fillWidth: true; scale_: root.s * 0.85
                            text: modelData.label; sublabel: modelData.sublabel
                            onClicked: root.act("choose", {"id": modelData.id}) }
            }
        }
    }
}
