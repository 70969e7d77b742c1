// "Place your ID card / scan your code": a picture of what to do, why, and any problem.
import QtQuick
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    spacing: 28 * root.s
    Row {
        Layout.alignment: Qt.AlignHCenter
        spacing: 60 * root.u
        Rectangle {  // an ID card on the reader
            visible: (root.page.accepts || []).indexOf("card") >= 0
            width: 340 * root.s; height: 214 * root.s; radius: 18 * root.u; color: "#dbe9f7"; border.color: "#1c5fb8"; border.width: 4
            Rectangle { x: 24; y: 30; width: 80 * root.s; height: 100 * root.s; radius: 6 * root.u; color: "#9fbce0" }
            Column { x: 130 * root.s; y: 40; spacing: 16 * root.u
                Repeater { model: 4; Rectangle { width: 160 * root.s; height: 14; radius: 7 * root.u; color: "#9fbce0" } } }
            SequentialAnimation on y { loops: Animation.Infinite
                NumberAnimation { from: 0; to: 30; duration: 900; easing.type: Easing.InOutQuad }
                NumberAnimation { from: 30; to: 0; duration: 900; easing.type: Easing.InOutQuad } }
        }
        Rectangle {  // a QR code in front of the scanner
            visible: (root.page.accepts || []).indexOf("scan") >= 0
            width: 214 * root.s; height: 214 * root.s; radius: 18 * root.u; color: "white"; border.color: "#1c5fb8"; border.width: 4
            Grid { anchors.centerIn: parent; columns: 5; spacing: 6 * root.u
                Repeater { model: 25; Rectangle { width: 28 * root.s; height: 28 * root.s
                                                  color: [0,1,2,4,5,7,9,12,15,17,19,20,22,24].indexOf(index) >= 0 ? "#12355b" : "white" } } }
        }
    }
    Repeater {
        model: root.page.lines || []
        Text { Layout.fillWidth: true; text: modelData; font.pixelSize: 32 * root.s; color: "#34495e"
               wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter }
    }
    Text {
        objectName: "problem"
        Layout.fillWidth: true; visible: (root.page.problem || "") !== ""
        text: root.page.problem || ""; font.pixelSize: 30 * root.s; color: "#b03a2e"; font.bold: true
        wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
    }
    Row {
        Layout.alignment: Qt.AlignHCenter; spacing: 24 * root.u
        Repeater {
            model: root.page.buttons || []
            BigButton { objectName: "button_" + modelData.id; text: modelData.label; scale_: root.s
                        width: 420 * root.s; onClicked: root.act(modelData.id) }
        }
    }
    Item { Layout.fillHeight: true }
}
