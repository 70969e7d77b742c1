// The hall TV: current calls large (ticket → window), the last calls, people waiting per zone,
// notices, and a red strip whenever the link to the hall service is down (never silently stale).
import QtQuick
import QtQuick.Layouts

Window {
    id: root
    width: 1920; height: 1080
    visible: true
    color: "#0b1f36"
    title: "叫号显示屏"
    required property var bridge
    property var view: bridge.view
    property string family: bridge.fontFamily

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
                    Text { text: bridge.hallName; color: "white"; font.family: root.family; font.pixelSize: 48; font.bold: true
                           Layout.fillWidth: true }
                    Text { id: clock; color: "#cfe0f5"; font.family: root.family; font.pixelSize: 44 }
                    Timer { interval: 1000; running: true; repeat: true; triggeredOnStart: true
                            onTriggered: clock.text = Qt.formatDateTime(new Date(), "yyyy-MM-dd  hh:mm:ss") }
                }
            }
            Rectangle {
                objectName: "reconnecting"
                Layout.fillWidth: true; implicitHeight: 64; visible: !root.view.connected; color: "#b03a2e"
                Text { anchors.centerIn: parent; color: "white"; font.family: root.family; font.pixelSize: 34
                       text: bridge.labels.reconnecting + "（" + (root.view.offline_seconds || 0) + " s）" }
            }
            RowLayout {
                Layout.fillWidth: true; Layout.fillHeight: true; Layout.margins: 24; spacing: 24
                // Current calls: the big part of the screen.
                ColumnLayout {
                    Layout.fillWidth: true; Layout.fillHeight: true; Layout.preferredWidth: 3; spacing: 16
                    RowLayout {
                        Layout.fillWidth: true
                        Text { text: bridge.labels.number; color: "#8fb3dc"; font.family: root.family; font.pixelSize: 36; Layout.preferredWidth: 1; Layout.fillWidth: true }
                        Text { text: bridge.labels.window; color: "#8fb3dc"; font.family: root.family; font.pixelSize: 36; Layout.preferredWidth: 1; Layout.fillWidth: true }
                    }
                    Repeater {
                        model: (root.view.current || []).slice(0, 6)
                        Rectangle {
                            Layout.fillWidth: true; implicitHeight: 120; radius: 14
                            color: index === 0 ? "#1f8f4e" : "#17406b"
                            RowLayout {
                                anchors.fill: parent; anchors.leftMargin: 28; anchors.rightMargin: 28
                                Text { objectName: "call_" + index; text: modelData.number; color: "#ffe066"; font.family: root.family
                                       font.pixelSize: 84; font.bold: true; Layout.preferredWidth: 1; Layout.fillWidth: true }
                                Text { text: "→ " + modelData.counter; color: "white"; font.family: root.family; font.pixelSize: 60
                                       font.bold: true; Layout.preferredWidth: 1; Layout.fillWidth: true; elide: Text.ElideRight }
                            }
                        }
                    }
                    Item { Layout.fillHeight: true }
                }
                // Side column: last calls, waiting per zone, notices.
                ColumnLayout {
                    Layout.fillHeight: true; Layout.preferredWidth: 2; Layout.fillWidth: true; spacing: 12
                    Text { text: bridge.labels.recent; color: "#8fb3dc"; font.family: root.family; font.pixelSize: 32 }
                    Flow {
                        Layout.fillWidth: true; spacing: 12
                        Repeater {
                            model: root.view.recent || []
                            Rectangle { width: 200; height: 64; radius: 10; color: "#17406b"
                                Text { anchors.centerIn: parent; text: modelData.number + "  " + modelData.counter
                                       color: "white"; font.family: root.family; font.pixelSize: 24; elide: Text.ElideRight
                                       width: parent.width - 16; horizontalAlignment: Text.AlignHCenter } }
                        }
                    }
                    Text { text: bridge.labels.waiting; color: "#8fb3dc"; font.family: root.family; font.pixelSize: 32; Layout.topMargin: 16 }
                    Repeater {
                        model: root.view.zones || []
                        Rectangle {
                            Layout.fillWidth: true; implicitHeight: 64; radius: 10; color: "#102a47"
                            RowLayout { anchors.fill: parent; anchors.margins: 14
                                Text { text: modelData.zone; color: "white"; font.family: root.family; font.pixelSize: 30; Layout.fillWidth: true }
                                Text { objectName: "waiting_" + index; text: modelData.waiting + " " + bridge.labels.people
                                       color: "#ffe066"; font.family: root.family; font.pixelSize: 30; font.bold: true } }
                        }
                    }
                    Item { Layout.fillHeight: true }
                    Repeater {
                        model: root.view.notices || []
                        Text { Layout.fillWidth: true; text: modelData; color: "#cfe0f5"; font.family: root.family
                               font.pixelSize: 26; wrapMode: Text.WordWrap }
                    }
                }
            }
        }
    }
}
