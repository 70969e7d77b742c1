// Search the catalogue by characters or pinyin initials; the Pinyin keyboard types into it.
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
    spacing: 20 * Theme.s
    TextField {
        id: query
        objectName: "searchField"
        Layout.fillWidth: true; Layout.leftMargin: 120 * Theme.u; Layout.rightMargin: 120 * Theme.u
        font.pixelSize: 36 * Theme.s; implicitHeight: 90 * Theme.s
        placeholderText: root.page.placeholder || ""
        text: root.page.query || ""
        onTextEdited: root.act("query", {"text": text})
        Component.onCompleted: forceActiveFocus()
    }
    Repeater {
        model: root.page.lines || []
        Text { required property var modelData; Layout.fillWidth: true; text: modelData; font.pixelSize: 28 * Theme.s; color: "#b9770e"
               horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap }
    }
    // The results scroll: more of them than fit above the keyboard is the normal case.
    ScrollView {
        Layout.fillWidth: true; Layout.fillHeight: true; clip: true
        contentWidth: availableWidth
        GridLayout {
            width: parent.width; columns: Theme.portrait ? 1 : 2; columnSpacing: 20 * Theme.u; rowSpacing: 16 * Theme.u
            Repeater {
                model: root.page.choices || []
                BigButton { required property var modelData; objectName: "choice_" + modelData.id; Layout.fillWidth: true; scale_: Theme.s * 0.85
                            text: modelData.label; sublabel: modelData.sublabel
                            onClicked: root.act("choose", {"id": modelData.id}) }
            }
        }
    }
}
