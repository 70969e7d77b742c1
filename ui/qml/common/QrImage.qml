// A QR code drawn by the "qr" image provider, with a caption under it.
import QtQuick

Column {
    property string value: ""
    property string caption: ""
    property real side: 220
    spacing: 8
    visible: value !== ""
    Rectangle {
        width: side; height: side; color: "white"; radius: 8
        Image {
            anchors.fill: parent; anchors.margins: 8
            source: parent.parent.value === "" ? "" : "image://qr/" + encodeURIComponent(parent.parent.value)
            smooth: false
            sourceSize.width: width; sourceSize.height: height
        }
    }
    Text {
        width: side; text: caption; visible: caption !== ""
        wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
        font.pixelSize: 20; color: "#4a5d73"
    }
}
