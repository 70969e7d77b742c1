// A large touch target: label, optional second line, accent colour. At least 96 px high at
// scale 1, and never below Theme.touch either way whatever scale_ a page gives it.
import QtQuick
import QtQuick.Controls

AbstractButton {
    id: control
    property string sublabel: ""
    property string accent: ""
    property real scale_: 1.0
    implicitHeight: Math.max(96 * scale_, Theme.touch, column.implicitHeight + 32 * scale_)
    implicitWidth: Math.max(320 * scale_, Theme.touch)
    padding: 16 * scale_
    opacity: enabled ? 1.0 : 0.45
    background: Rectangle {
        radius: 18
        color: control.down ? Qt.darker(base, 1.15) : base
        border.color: control.accent === "" ? "#c9d6e6" : "transparent"
        border.width: 2
        property color base: control.accent === "green" ? "#187a42"
                           : control.accent === "red" ? "#c0392b"
                           : control.accent === "blue" ? "#1c5fb8" : "#ffffff"
    }
    contentItem: Item {
        implicitHeight: column.implicitHeight
        Column {
            id: column
            spacing: 6 * control.scale_
            anchors.verticalCenter: parent.verticalCenter
            width: parent.width
            Text {
                width: parent.width
                text: control.text
                font.pixelSize: 34 * control.scale_
                font.bold: true
                wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter
                color: control.accent === "" ? "#12355b" : "white"
            }
            Text {
                width: parent.width
                visible: control.sublabel !== ""
                text: control.sublabel
                font.pixelSize: 22 * control.scale_
                wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter
                color: control.accent === "" ? "#4a5d73" : "#e8f5ee"
            }
        }
    }
}
