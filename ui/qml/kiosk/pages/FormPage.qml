// A form generated from the catalogue's field list; each change is validated by kiosk/forms.py.
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
    spacing: 16 * Theme.s
    Text { Layout.fillWidth: true; text: root.page.who || ""; font.pixelSize: 26 * Theme.s; color: "#4a5d73"
           horizontalAlignment: Text.AlignHCenter }
    ScrollView {
        Layout.fillWidth: true; Layout.fillHeight: true; clip: true
        contentWidth: availableWidth
        ColumnLayout {
            width: parent.width
            spacing: 22 * Theme.s
            Repeater {
                model: root.page.fields || []
                ColumnLayout {
                    id: fieldItem
                    required property var modelData
                    property var field: modelData
                    Layout.fillWidth: true; Layout.leftMargin: 120 * Theme.u; Layout.rightMargin: 120 * Theme.u
                    spacing: 8 * Theme.u
                    Text { text: fieldItem.field.label + (fieldItem.field.required ? " *" : "")
                           font.pixelSize: 30 * Theme.s; color: "#12355b"; font.bold: true }
                    TextField {
                        objectName: "field_" + fieldItem.field.key
                        visible: fieldItem.field.type !== "select"
                        Layout.fillWidth: true; font.pixelSize: 32 * Theme.s; implicitHeight: 84 * Theme.s
                        text: fieldItem.field.value
                        inputMethodHints: fieldItem.field.type === "phone" ? Qt.ImhDialableCharactersOnly
                                        : fieldItem.field.type === "number" ? Qt.ImhFormattedNumbersOnly : Qt.ImhNone
                        onTextEdited: root.act("set", {"key": fieldItem.field.key, "value": text})
                    }
                    Flow {
                        visible: fieldItem.field.type === "select"
                        Layout.fillWidth: true; spacing: 16 * Theme.u
                        Repeater {
                            model: fieldItem.field.options
                            BigButton {
                                required property var modelData
                                required property int index
                                objectName: "option_" + fieldItem.field.key + "_" + index
                                text: modelData; scale_: Theme.s * 0.75; width: 260 * Theme.s
                                accent: fieldItem.field.value === modelData ? "blue" : ""
                                onClicked: root.act("set", {"key": fieldItem.field.key, "value": modelData})
                            }
                        }
                    }
                    Text { visible: fieldItem.field.error !== ""; text: fieldItem.field.error; color: "#b03a2e"
                           font.pixelSize: 24 * Theme.s }
                }
            }
        }
    }
    BigButton { objectName: "button_next"; Layout.alignment: Qt.AlignHCenter; text: root.page.next_label || ""
                accent: "green"; enabled: !!root.page.can_next; scale_: Theme.s; Layout.preferredWidth: 420 * Theme.s
                onClicked: root.act("next", {}) }
}
