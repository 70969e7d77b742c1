// The item's materials: photographed, read from the card, owed (容缺) or still missing.
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
    // Why photos cannot be taken here (no camera, camera unplugged or blind): said before any tap.
    Text { objectName: "camera_note"; visible: text !== ""; text: root.page.camera_note || ""
           Layout.fillWidth: true; Layout.leftMargin: (Theme.portrait ? 0 : 80) * Theme.u
           Layout.rightMargin: (Theme.portrait ? 0 : 80) * Theme.u
           font.pixelSize: 26 * Theme.s; color: "#b03a2e"; wrapMode: Text.WordWrap }
    // A long list (a 一件事 bundle's, or any list in elder mode) scrolls; 下一步 stays below it.
    ColumnLayout {
        Layout.fillWidth: true; Layout.fillHeight: true; spacing: 0
        ScrollView {
            id: scroll
            Layout.fillWidth: true; Layout.fillHeight: true; clip: true
            contentWidth: availableWidth
            contentHeight: rowColumn.implicitHeight
            ScrollBar.vertical.policy: contentHeight > height ? ScrollBar.AlwaysOn : ScrollBar.AsNeeded
            ColumnLayout {
                id: rowColumn
                width: scroll.availableWidth
                spacing: 16 * Theme.s
                Repeater {
                    model: root.page.rows || []
                    Rectangle {
                        id: row
                        required property var modelData
                        Layout.fillWidth: true; Layout.leftMargin: (Theme.portrait ? 0 : 80) * Theme.u
                        Layout.rightMargin: (Theme.portrait ? 0 : 80) * Theme.u
                        implicitHeight: Math.max(120 * Theme.s, materialText.implicitHeight + 32 * Theme.u); radius: 16 * Theme.u; color: "white"; border.color: modelData.done ? "#1f8f4e" : "#c9d6e6"; border.width: 2
                        RowLayout {
                            anchors.fill: parent; anchors.margins: 16 * Theme.u; spacing: 20 * Theme.u
                            Image { visible: row.modelData.photo !== ""; source: row.modelData.photo
                                    Layout.preferredWidth: 90 * Theme.s; Layout.preferredHeight: 90 * Theme.s; fillMode: Image.PreserveAspectFit }
                            ColumnLayout {
                                id: materialText
                                Layout.fillWidth: true
                                Text { text: row.modelData.name + (row.modelData.core ? " *" : ""); font.pixelSize: 30 * Theme.s; font.bold: true
                                       color: "#12355b"; Layout.fillWidth: true; wrapMode: Text.WordWrap }
                                Text { text: row.modelData.status; font.pixelSize: 24 * Theme.s; color: row.modelData.done ? "#187a42" : "#a85300"
                                       Layout.fillWidth: true; wrapMode: Text.WordWrap }
                            }
                            BigButton { objectName: "capture_" + row.modelData.index; text: root.page.labels.capture; scale_: Theme.s * 0.7
                                        Layout.preferredWidth: (Theme.portrait ? 170 : 220) * Theme.s; visible: !!root.page.can_capture && row.modelData.status !== "" && !(row.modelData.done && row.modelData.photo === "" && !row.modelData.tolerable)
                                        onClicked: root.act("capture", {"index": row.modelData.index}) }
                            BigButton { objectName: "elicence_" + row.modelData.index; text: root.page.labels.elicence || ""; scale_: Theme.s * 0.7
                                        Layout.preferredWidth: (Theme.portrait ? 170 : 220) * Theme.s; visible: !!row.modelData.elicence
                                        onClicked: root.act("elicence", {"index": row.modelData.index}) }
                            BigButton { objectName: "owe_" + row.modelData.index; text: root.page.labels.owe; scale_: Theme.s * 0.7
                                        Layout.preferredWidth: (Theme.portrait ? 170 : 220) * Theme.s; visible: row.modelData.tolerable && !row.modelData.done
                                        onClicked: root.act("owe", {"index": row.modelData.index}) }
                        }
                    }
                }
            }
        }
        ScrollCue { flick: scroll.contentItem as Flickable }
    }
    BigButton { objectName: "button_next"; Layout.alignment: Qt.AlignHCenter; text: root.page.next_label || ""
                accent: "green"; enabled: !!root.page.can_next; scale_: Theme.s; Layout.preferredWidth: 420 * Theme.s
                onClicked: root.act("next", {}) }
}
