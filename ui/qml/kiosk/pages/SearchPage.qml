// Search the catalogue by characters, pinyin or initials; the Pinyin keyboard types into it.
// The results follow every key: the Pinyin input method holds the letters as pre-edit text until
// a candidate is picked, so the query sent is displayText (committed text plus what is being
// composed). The keyboard stays Pinyin rather than Latin here: a citizen may type `sb` and see
// the items at once, or pick 社保 from the candidates, as on their phone.
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
        // not bound: a binding would write the composing letters back as committed text; the
        // flow's query is copied in only when it differs from what is shown and nothing is composing
        readonly property string flowQuery: root.page.query || ""
        onFlowQueryChanged: if (flowQuery !== displayText && preeditText === "") text = flowQuery
        Component.onCompleted: { text = flowQuery; forceActiveFocus() }
        onDisplayTextChanged: if (displayText !== (root.page.query || "")) root.act("query", {"text": displayText})
    }
    Repeater {
        model: root.page.lines || []
        Text { required property var modelData; Layout.fillWidth: true; text: modelData; font.pixelSize: 28 * Theme.s; color: "#a85300"
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
