// A form generated from the catalogue's field list; each change is validated by kiosk/forms.py.
// Typed on the Qt Virtual Keyboard: a field keeps the focus while the citizen types (the
// delegates are never rebuilt by a new view, and a field being typed is not overwritten by the
// value coming back), the field stays scrolled into sight above the keyboard, and ↵ moves on to
// the next field to type (the last one closes the keyboard).
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.VirtualKeyboard
import "../../common"

ColumnLayout {
    id: root
    // The flow's current screen (kiosk/flows/base.py Screen.as_dict) and the taps on it.
    required property var page
    signal act(string name, var args)
    spacing: 16 * Theme.s
    readonly property var fields: root.page.fields || []
    // The field (its FieldItem) last given the focus: kept in sight while the form resizes.
    property Item typed: null
    function keepTypedInSight() {
        var item = root.typed as FieldItem
        if (item && item.input.activeFocus)
            Qt.callLater(root.reveal, item)
    }

    // The text field after `index` (select fields are tapped, not typed), or null.
    function nextInput(index: int): Item {
        for (var i = index + 1; i < fieldRepeater.count; i++) {
            var item = fieldRepeater.itemAt(i) as FieldItem
            if (item && item.input.visible)
                return item.input
        }
        return null
    }
    // Scroll so that `item` (inside the form) is wholly in sight.
    function reveal(item: Item) {
        var flick = scroll.contentItem as Flickable
        if (!item || !flick)
            return
        var y = item.mapToItem(flick.contentItem, 0, 0).y
        var top = y - 24 * Theme.u
        var bottom = y + item.height + 24 * Theme.u
        if (top < flick.contentY)
            flick.contentY = Math.max(0, top)
        else if (bottom > flick.contentY + flick.height)
            flick.contentY = Math.min(Math.max(0, flick.contentHeight - flick.height), bottom - flick.height)
    }

    component FieldItem: ColumnLayout {
        id: fieldItem
        required property int index
        // By position, so that each new view (one per key) updates the delegate, never replaces it.
        readonly property var field: root.fields[index] || ({})
        readonly property alias input: input
        Layout.fillWidth: true; Layout.leftMargin: 120 * Theme.u; Layout.rightMargin: 120 * Theme.u
        spacing: 8 * Theme.u
        Text { text: (fieldItem.field.label || "") + (fieldItem.field.required ? " *" : "")
               font.pixelSize: 30 * Theme.s; color: "#12355b"; font.bold: true }
        TextField {
            id: input
            objectName: "field_" + (fieldItem.field.key || "")
            visible: fieldItem.field.type !== "select"
            Layout.fillWidth: true; font.pixelSize: 32 * Theme.s; implicitHeight: Math.max(96 * Theme.u, 84 * Theme.s)
            inputMethodHints: fieldItem.field.type === "phone" ? Qt.ImhDialableCharactersOnly
                            : fieldItem.field.type === "number" ? Qt.ImhFormattedNumbersOnly : Qt.ImhNone
            EnterKeyAction.actionId: root.nextInput(fieldItem.index) ? EnterKeyAction.Next : EnterKeyAction.Done
            // The kiosk's value is shown unless the citizen is typing here: then the keys are the truth.
            Binding on text { value: fieldItem.field.value || ""; when: !input.activeFocus }
            onTextEdited: root.act("set", {"key": fieldItem.field.key, "value": text})
            onActiveFocusChanged: if (activeFocus) { root.typed = fieldItem; Qt.callLater(root.reveal, fieldItem) }
            onAccepted: {
                var next = root.nextInput(fieldItem.index)
                if (next) {
                    next.forceActiveFocus()
                } else {
                    root.forceActiveFocus()  // the page takes no text: the keyboard closes
                }
            }
        }
        Flow {
            visible: fieldItem.field.type === "select"
            Layout.fillWidth: true; spacing: 16 * Theme.u
            Repeater {
                model: fieldItem.field.options || []
                BigButton {
                    required property var modelData
                    required property int index
                    objectName: "option_" + fieldItem.field.key + "_" + index
                    // the label in the session's language; the value is the catalogue's own
                    text: modelData.label; scale_: Theme.s * 0.75; width: 260 * Theme.s
                    height: Math.max(implicitHeight, 96 * Theme.u)
                    accent: fieldItem.field.value === modelData.value ? "blue" : ""
                    onClicked: root.act("set", {"key": fieldItem.field.key, "value": modelData.value})
                }
            }
        }
        Text { visible: (fieldItem.field.error || "") !== ""; text: fieldItem.field.error || ""; color: "#b03a2e"
               font.pixelSize: 24 * Theme.s }
    }

    // While the keyboard is up the form gets the room (下一步 comes back after the last ↵).
    Text { Layout.fillWidth: true; visible: !Theme.typing; text: root.page.who || ""; font.pixelSize: 26 * Theme.s; color: "#4a5d73"
           horizontalAlignment: Text.AlignHCenter }
    ColumnLayout {
        Layout.fillWidth: true; Layout.fillHeight: true; spacing: 0
        ScrollView {
            id: scroll
            Layout.fillWidth: true; Layout.fillHeight: true; clip: true
            contentWidth: availableWidth
            ScrollBar.vertical.policy: contentHeight > height ? ScrollBar.AlwaysOn : ScrollBar.AsNeeded
            // The keyboard opening (or changing layout) shrinks the form; an error line below a
            // field grows it: keep the field being typed in sight.
            onHeightChanged: root.keepTypedInSight()
            contentHeight: fieldColumn.implicitHeight
            onContentHeightChanged: root.keepTypedInSight()
            ColumnLayout {
                id: fieldColumn
                width: scroll.availableWidth
                spacing: 22 * Theme.s
                Repeater {
                    id: fieldRepeater
                    model: root.fields.length
                    FieldItem {}
                }
            }
        }
        ScrollCue { flick: scroll.contentItem as Flickable }
    }
    BigButton { objectName: "button_next"; visible: !Theme.typing; Layout.alignment: Qt.AlignHCenter; text: root.page.next_label || ""
                accent: "green"; enabled: !!root.page.can_next; scale_: Theme.s; Layout.preferredWidth: 420 * Theme.s
                onClicked: root.act("next", {}) }
}
