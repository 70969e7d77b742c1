// A cue that a scrolling area continues below the fold (elder mode's larger text pushes form
// fields, review rows and guide details out of sight): a fading band with a down arrow at the
// bottom of its parent (an Item holding the ScrollView and this cue), shown while there is more
// below in `flick`; a tap on it scrolls one page on.
import QtQuick
import "../../common"

Rectangle {
    id: cue
    // The Flickable (a ScrollView's contentItem) whose content may continue below.
    required property Flickable flick
    readonly property bool more: flick.contentHeight - flick.contentY - flick.height > 4
    objectName: "scrollCue"
    visible: more
    anchors.left: parent.left; anchors.right: parent.right; anchors.bottom: parent.bottom
    height: 96 * Theme.u
    gradient: Gradient {
        GradientStop { position: 0.0; color: "#00eef3f9" }
        GradientStop { position: 0.6; color: "#eeeef3f9" }
    }
    Rectangle {
        anchors.horizontalCenter: parent.horizontalCenter; anchors.bottom: parent.bottom
        width: 96 * Theme.u; height: 72 * Theme.u; radius: height / 2; color: Theme.accentBlue
        Text { anchors.centerIn: parent; text: "\u25BC"; color: "white"; font.pixelSize: 36 * Theme.u }
    }
    MouseArea {
        anchors.fill: parent
        onClicked: cue.flick.contentY = Math.min(cue.flick.contentHeight - cue.flick.height,
                                                 cue.flick.contentY + cue.flick.height * 0.8)
    }
}
