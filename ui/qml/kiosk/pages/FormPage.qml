// A form generated from the catalogue's field list; each change is validated by kiosk/forms.py.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    spacing: 16 * root.s
    Text { Layout.fillWidth: true; text: root.page.who || ""; font.pixelSize: 26 * root.s; color: "#4a5d73"
           horizontalAlignment: Text.AlignHCenter }
    ScrollView {
        Layout.fillWidth: true; Layout.fillHeight: true; clip: true
        contentWidth: availableWidth
        ColumnLayout {
            width: parent.width
            spacing: 22 * root.s
            Repeater {
                model: root.page.fields || []
                ColumnLayout {
                    id: fieldItem
                    property var field: modelData
                    Layout.fillWidth: true; Layout.leftMargin: 120 * root.u; Layout.rightMargin: 120 * root.u
                    spacing: 8 * root.u
                    Text { text: fieldItem.field.label + (fieldItem.field.required ? " *" : "")
                           font.pixelSize: 30 * root.s; color: "#12355b"; font.bold: true }
                    TextField {
                        objectName: "field_" + fieldItem.field.key
                        visible: fieldItem.field.type !== "select"
                        Layout.fillWidth: true; font.pixelSize: 32 * root.s; implicitHeight: 84 * root.s
                        text: fieldItem.field.value
                        inputMethodHints: fieldItem.field.type === "phone" ? Qt.ImhDialableCharactersOnly
                                        : fieldItem.field.type === "number" ? Qt.ImhFormattedNumbersOnly : Qt.ImhNone
                        onTextEdited: root.act("set", {"key": fieldItem.field.key, "value": text})
                    }
                    Flow {
                        visible: fieldItem.field.type === "select"
                        Layout.fillWidth: true; spacing: 16 * root.u
                        Repeater {
                            model: fieldItem.field.options
                            BigButton {
                                objectName: "option_" + fieldItem.field.key + "_" + index
                                text: modelData; scale_: root.s * 0.75; width: 260 * root.s
                                accent: fieldItem.field.value === modelData ? "blue" : ""
                                onClicked: root.act("set", {"key": fieldItem.field.key, "value": modelData})
                            }
                        }
                    }
                    Text { visible: fieldItem.field.error !== ""; text: fieldItem.field.error; color: "#b03a2e"
                           font.pixelSize: 24 * root.s }
                }
            }
        }
    }
    BigButton { objectName: "button_next"; Layout.alignment: Qt.AlignHCenter; text: root.page.next_label || ""
                accent: "green"; enabled: !!root.page.can_next; scale_: root.s; Layout.preferredWidth: 420 * root.s
                onClicked: root.act("next") }
}
