// "Place your ID card / scan your code": a picture of what to do, why, and any problem.
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    id: root
    // The flow's current screen (kiosk/flows/base.py Screen.as_dict) and the taps on it.
    required property var page
    signal act(string name, var args)
    spacing: 28 * Theme.s
    Row {
        Layout.alignment: Qt.AlignHCenter
        spacing: 60 * Theme.u
        Rectangle {  // an ID card on the reader
            visible: (root.page.accepts || []).indexOf("card") >= 0
            width: 340 * Theme.s; height: 214 * Theme.s; radius: 18 * Theme.u; color: "#dbe9f7"; border.color: "#1c5fb8"; border.width: 4
            Rectangle { x: 24; y: 30; width: 80 * Theme.s; height: 100 * Theme.s; radius: 6 * Theme.u; color: "#9fbce0" }
            Column { x: 130 * Theme.s; y: 40; spacing: 16 * Theme.u
                Repeater { model: 4; Rectangle { width: 160 * Theme.s; height: 14; radius: 7 * Theme.u; color: "#9fbce0" } } }
            SequentialAnimation on y { loops: Animation.Infinite
                NumberAnimation { from: 0; to: 30; duration: 900; easing.type: Easing.InOutQuad }
                NumberAnimation { from: 30; to: 0; duration: 900; easing.type: Easing.InOutQuad } }
        }
        Rectangle {  // a QR code in front of the scanner
            visible: (root.page.accepts || []).indexOf("scan") >= 0
            width: 214 * Theme.s; height: 214 * Theme.s; radius: 18 * Theme.u; color: "white"; border.color: "#1c5fb8"; border.width: 4
            Grid { anchors.centerIn: parent; columns: 5; spacing: 6 * Theme.u
                Repeater { model: 25; Rectangle { required property int index; width: 28 * Theme.s; height: 28 * Theme.s
                                                  color: [0,1,2,4,5,7,9,12,15,17,19,20,22,24].indexOf(index) >= 0 ? "#12355b" : "white" } } }
        }
    }
    Repeater {
        model: root.page.lines || []
        Text { required property var modelData; Layout.fillWidth: true; text: modelData; font.pixelSize: 32 * Theme.s; color: "#34495e"
               wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter }
    }
    Text {
        objectName: "problem"
        Layout.fillWidth: true; visible: (root.page.problem || "") !== ""
        text: root.page.problem || ""; font.pixelSize: 30 * Theme.s; color: "#b03a2e"; font.bold: true
        wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
    }
    Rectangle {  // the reader is in trouble: what happened and the way forward, in plain words
        objectName: "trouble"
        Layout.alignment: Qt.AlignHCenter; Layout.preferredWidth: Math.min(root.width, 1200 * Theme.s)
        visible: (root.page.trouble || []).length > 0
        implicitHeight: troubleLines.implicitHeight + 40 * Theme.s
        radius: 14 * Theme.u; color: "#fdf0e6"; border.color: "#e67e22"; border.width: 3
        Column {
            id: troubleLines
            anchors.centerIn: parent; width: parent.width - 48 * Theme.s; spacing: 12 * Theme.s
            Repeater {
                model: root.page.trouble || []
                Text { required property var modelData; required property int index; width: troubleLines.width
                       text: modelData; font.pixelSize: (index === 0 ? 34 : 30) * Theme.s; font.bold: index === 0
                       color: index === 0 ? "#b03a2e" : "#34495e"; wrapMode: Text.WordWrap
                       horizontalAlignment: Text.AlignHCenter }
            }
        }
    }
    Row {
        Layout.alignment: Qt.AlignHCenter; spacing: 24 * Theme.u
        Repeater {
            model: root.page.buttons || []
            BigButton { required property var modelData; objectName: "button_" + modelData.id; text: modelData.label; scale_: Theme.s
                        width: 420 * Theme.s; onClicked: root.act(modelData.id, {}) }
        }
    }
    Item { Layout.fillHeight: true }
}
