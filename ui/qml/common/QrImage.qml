// A QR code drawn by the "qr" image provider, with a caption under it.
import QtQuick

Column {
    id: qr
    property string value: ""
    property string caption: ""
    property real side: 220
    spacing: 8
    visible: value !== ""
    Rectangle {
        width: qr.side; height: qr.side; color: "white"; radius: 8
        Image {
            anchors.fill: parent; anchors.margins: 8
            source: qr.value === "" ? "" : "image://qr/" + encodeURIComponent(qr.value)
            smooth: false
            sourceSize.width: width; sourceSize.height: height
        }
    }
    Text {
        width: qr.side; text: qr.caption; visible: qr.caption !== ""
        wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
        font.pixelSize: 20; color: "#4a5d73"
    }
}
