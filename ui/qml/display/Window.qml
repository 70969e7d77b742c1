// The small screen above one window: the ticket being served there, large.
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Layouts
import HallKiosk

Window {
    id: root
    width: 800; height: 480
    visible: true
    color: "#0b1f36"
    title: root.bridge.labels.window_title
    required property DisplayBridge bridge
    property var view: root.bridge.view
    // Designed for an 800×480 panel, scaled as a whole to the real one and centred.
    Item {
        id: stage
        width: 800; height: 480
        anchors.centerIn: parent
        scale: Math.min(root.width / width, root.height / height)
        ColumnLayout {
            anchors.fill: parent; anchors.margins: 24
            Text { text: root.view.counter || ""; color: "white"; font.family: root.bridge.fontFamily; font.pixelSize: 56
                   font.bold: true; Layout.alignment: Qt.AlignHCenter }
            Rectangle { Layout.fillWidth: true; implicitHeight: 4; color: "#27507f" }
            Text { text: root.view.mine ? root.bridge.labels.serving : root.bridge.labels.idle; color: "#8fb3dc"
                   font.family: root.bridge.fontFamily; font.pixelSize: 40; Layout.alignment: Qt.AlignHCenter }
            Text { objectName: "serving"; text: root.view.mine ? root.view.mine.number : "—"; color: "#ffe066"
                   font.family: root.bridge.fontFamily; font.pixelSize: 180; font.bold: true; Layout.alignment: Qt.AlignHCenter }
            Rectangle { Layout.fillWidth: true; implicitHeight: 50; visible: !root.view.connected; color: "#b03a2e"
                Text { anchors.centerIn: parent; text: root.bridge.labels.reconnecting; color: "white"
                       font.family: root.bridge.fontFamily; font.pixelSize: 24 } }
            Item { Layout.fillHeight: true }
        }
    }
}
