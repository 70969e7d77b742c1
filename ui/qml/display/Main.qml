// The hall TV: current calls large (ticket → window; a second column past six, pages past twelve),
// the last calls, people waiting per zone, the notices staff posted (Chinese and English), the
// hall's own time, and a red strip whenever the link to the hall service is down (never silently stale).
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Layouts
import HallKiosk

Window {
    id: root
    width: 1920; height: 1080
    visible: true
    color: "#0b1f36"
    title: root.bridge.labels.title
    required property DisplayBridge bridge
    property var view: root.bridge.view
    property string family: root.bridge.fontFamily

    // Designed for a 1920×1080 TV, scaled as a whole to the real one (1366×768, 4K) and centred.
    Item {
        id: stage
        width: 1920; height: 1080
        anchors.centerIn: parent
        scale: Math.min(root.width / width, root.height / height)
        ColumnLayout {
            anchors.fill: parent; spacing: 0
            Rectangle {
                Layout.fillWidth: true; implicitHeight: 110; color: "#12355b"
                RowLayout {
                    anchors.fill: parent; anchors.margins: 24
                    Text { text: root.bridge.hallName; color: "white"; font.family: root.family; font.pixelSize: 48; font.bold: true
                           Layout.fillWidth: true }
                    // the hall's time zone (hall.toml), not this machine's: the bridge formats it
                    Text { objectName: "clock"; text: root.bridge.clock; color: "#cfe0f5"; font.family: root.family; font.pixelSize: 44 }
                }
            }
            Rectangle {
                objectName: "reconnecting"
                Layout.fillWidth: true; implicitHeight: 64; visible: !root.view.connected; color: "#b03a2e"
                Text { anchors.centerIn: parent; color: "white"; font.family: root.family; font.pixelSize: 34
                       text: root.bridge.labels.reconnecting + "（" + (root.view.offline_seconds || 0) + " s）" }
            }
            RowLayout {
                Layout.fillWidth: true; Layout.fillHeight: true; Layout.margins: 24; spacing: 24
                // Current calls: the big part of the screen.
                ColumnLayout {
                    Layout.fillWidth: true; Layout.fillHeight: true; Layout.preferredWidth: 3; spacing: 16
                    RowLayout {
                        Layout.fillWidth: true
                        Text { text: root.bridge.labels.number; color: "#8fb3dc"; font.family: root.family; font.pixelSize: 36; Layout.preferredWidth: 1; Layout.fillWidth: true }
                        Text { text: root.bridge.labels.window; color: "#8fb3dc"; font.family: root.family; font.pixelSize: 36; Layout.preferredWidth: 1; Layout.fillWidth: true }
                        Text { objectName: "page"; visible: (root.view.pages || 1) > 1; text: (root.view.page || 1) + " / " + (root.view.pages || 1)
                               color: "#ffe066"; font.family: root.family; font.pixelSize: 36; font.bold: true }
                    }
                    // the tiles give way (down to their minimum) so the notices below stay on the screen
                    GridLayout {
                        id: calls
                        Layout.fillWidth: true; Layout.fillHeight: true
                        columns: root.view.columns || 1
                        columnSpacing: 16; rowSpacing: 16
                        property bool narrow: calls.columns > 1
                        Repeater {
                            model: root.view.shown || []
                            Rectangle {
                                id: call
                                required property var modelData
                                required property int index
                                Layout.fillWidth: true; Layout.preferredWidth: 1; implicitHeight: calls.narrow ? 110 : 120; radius: 14
                                Layout.fillHeight: true; Layout.maximumHeight: implicitHeight; Layout.minimumHeight: calls.narrow ? 80 : 96
                                color: index === 0 && (root.view.page || 1) === 1 ? "#1f8f4e" : "#17406b"
                                RowLayout {
                                    anchors.fill: parent; anchors.leftMargin: calls.narrow ? 18 : 28; anchors.rightMargin: calls.narrow ? 18 : 28
                                    Text { objectName: "call_" + call.index; text: call.modelData.number; color: "#ffe066"; font.family: root.family
                                           font.pixelSize: calls.narrow ? 62 : 84; font.bold: true; Layout.preferredWidth: 1; Layout.fillWidth: true }
                                    Text { objectName: "call_counter_" + call.index; text: "→ " + call.modelData.counter; color: "white"; font.family: root.family
                                           font.pixelSize: calls.narrow ? 40 : 60; font.bold: true; Layout.preferredWidth: 1; Layout.fillWidth: true
                                           elide: Text.ElideRight }
                                }
                            }
                        }
                    }
                    Item { Layout.fillHeight: true }
                }
                // Side column: last calls, waiting per zone, notices.
                ColumnLayout {
                    Layout.fillHeight: true; Layout.preferredWidth: 2; Layout.fillWidth: true; spacing: 12
                    Text { text: root.bridge.labels.recent; color: "#8fb3dc"; font.family: root.family; font.pixelSize: 32 }
                    Flow {  // the newest first; two rows at most, so the waiting per zone keeps its room
                        Layout.fillWidth: true; spacing: 12; clip: true
                        Layout.maximumHeight: 64 * 2 + 12; Layout.preferredHeight: Math.min(implicitHeight, 64 * 2 + 12)
                        Repeater {
                            model: root.view.recent || []
                            Rectangle { id: recent; required property var modelData
                                width: 200; height: 64; radius: 10; color: "#17406b"
                                Text { anchors.centerIn: parent; text: recent.modelData.number + "  " + recent.modelData.counter
                                       color: "white"; font.family: root.family; font.pixelSize: 24; elide: Text.ElideRight
                                       width: parent.width - 16; horizontalAlignment: Text.AlignHCenter } }
                        }
                    }
                    Text { text: root.bridge.labels.waiting; color: "#8fb3dc"; font.family: root.family; font.pixelSize: 32; Layout.topMargin: 16 }
                    Repeater {
                        model: root.view.zones || []
                        Rectangle {
                            id: zone
                            required property var modelData
                            required property int index
                            Layout.fillWidth: true; implicitHeight: 64; radius: 10; color: "#102a47"
                            Layout.fillHeight: true; Layout.maximumHeight: 64; Layout.minimumHeight: 46
                            RowLayout { anchors.fill: parent; anchors.margins: 14
                                Text { text: zone.modelData.zone; color: "white"; font.family: root.family; font.pixelSize: 30; Layout.fillWidth: true }
                                Text { objectName: "waiting_" + zone.index; text: zone.modelData.waiting + " " + root.bridge.labels.people
                                       color: "#ffe066"; font.family: root.family; font.pixelSize: 30; font.bold: true } }
                        }
                    }
                    Item { Layout.fillHeight: true }
                }
            }
            // Notices posted by staff, across the bottom of the screen (Chinese, then English).
            Text { Layout.leftMargin: 24; visible: (root.view.notices || []).length > 0; text: root.bridge.labels.notices
                   color: "#8fb3dc"; font.family: root.family; font.pixelSize: 32 }
            Flow {
                Layout.fillWidth: true; Layout.leftMargin: 24; Layout.rightMargin: 24; Layout.bottomMargin: 20; Layout.topMargin: 8
                visible: (root.view.notices || []).length > 0; spacing: 16
                Repeater {
                    model: root.view.notices || []
                    Rectangle {
                        id: notice
                        required property var modelData
                        required property int index
                        width: (1920 - 48 - 16) / 2; height: noticeText.implicitHeight + 24; radius: 10; color: "#102a47"
                        Column {
                            id: noticeText
                            anchors.left: parent.left; anchors.right: parent.right; anchors.verticalCenter: parent.verticalCenter
                            anchors.margins: 14; spacing: 4
                            Text { objectName: "notice_" + notice.index; width: parent.width; text: notice.modelData.zh; color: "#ffe9a8"
                                   font.family: root.family; font.pixelSize: 28; wrapMode: Text.WordWrap }
                            Text { objectName: "notice_en_" + notice.index; width: parent.width; visible: notice.modelData.en !== ""
                                   text: notice.modelData.en; color: "#cfe0f5"; font.family: root.family; font.pixelSize: 22
                                   wrapMode: Text.WordWrap }
                        }
                    }
                }
            }
        }
    }
}
