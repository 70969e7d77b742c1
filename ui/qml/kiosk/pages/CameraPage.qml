pragma ComponentBehavior: Bound
// Photographing one material: a live picture from the document camera to lay the page under,
// "take photo" (the kiosk waits until the page is still, then crops it to the page), then the
// cropped photo to use or take again. Without a working camera it says why instead.
import QtQuick
import QtQuick.Layouts
import "../../common"

ColumnLayout {
    id: cameraPage
    objectName: "cameraPage"
    // Inputs, set by the kiosk window (Main.qml) when it loads the page.
    property var page: ({})
    property real s: 1.0
    property real u: 1.0
    property real buttonWidth: 380
    signal act(string name)

    readonly property bool live: cameraPage.page.live === true
    readonly property string preview: cameraPage.page.preview || ""
    readonly property string problem: cameraPage.page.problem || ""
    property int frameNo: 0

    spacing: 20 * cameraPage.s

    Text {
        Layout.fillWidth: true
        visible: (cameraPage.page.hint || "") !== ""
        text: cameraPage.page.hint || ""
        color: "#12355b"; font.pixelSize: 30 * cameraPage.s
        wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
    }
    Rectangle {
        Layout.fillWidth: true; Layout.fillHeight: true; color: "#1b2631"; radius: 16 * cameraPage.u
        Image {
            id: livePicture
            objectName: "livePreview"
            anchors.fill: parent; anchors.margins: 16 * cameraPage.u
            fillMode: Image.PreserveAspectFit; cache: false; asynchronous: true
            visible: cameraPage.live
            source: cameraPage.live ? "image://camera/live/" + cameraPage.frameNo : ""
        }
        Image {
            objectName: "photoPreview"
            anchors.fill: parent; anchors.margins: 16 * cameraPage.u
            fillMode: Image.PreserveAspectFit; cache: false
            visible: cameraPage.preview !== ""
            source: cameraPage.preview
        }
        Text {
            objectName: "cameraProblem"
            anchors.centerIn: parent; visible: cameraPage.problem !== ""; text: cameraPage.problem
            color: "#f5b7b1"; font.pixelSize: 30 * cameraPage.s; wrapMode: Text.WordWrap; width: parent.width * 0.8
            horizontalAlignment: Text.AlignHCenter
        }
    }
    // About five pictures a second: enough to frame a page, light on a kiosk's CPU.
    Timer {
        interval: 200; repeat: true
        running: cameraPage.live && cameraPage.visible && livePicture.status !== Image.Loading
        onTriggered: cameraPage.frameNo = (cameraPage.frameNo + 1) % 100000
    }
    Row {
        Layout.alignment: Qt.AlignHCenter; spacing: 32 * cameraPage.u
        Repeater {
            model: cameraPage.page.buttons || []
            BigButton {
                required property var modelData
                objectName: "button_" + modelData.id; text: modelData.label; enabled: modelData.enabled
                accent: modelData.accent || ""; scale_: cameraPage.s; width: cameraPage.buttonWidth
                onClicked: cameraPage.act(modelData.id)
            }
        }
    }
}
