// A cue that a scrolling area continues below the fold (elder mode's larger text pushes form
// fields, review rows and guide details out of sight): a line with a down arrow, laid out just
// under the ScrollView whose `flick` it watches, shown while there is more below. It takes its
// room even when hidden (so the view above never resizes as it appears) and covers nothing.
import QtQuick
import QtQuick.Layouts
import "../../common"

Item {
    id: cue
    // The Flickable (a ScrollView's contentItem) whose content may continue below.
    required property Flickable flick
    readonly property bool more: flick.contentHeight - flick.contentY - flick.height > 4
    objectName: "scrollCue"
    Layout.fillWidth: true
    implicitHeight: 40 * Theme.s
    Rectangle {
        visible: cue.more
        anchors.fill: parent; anchors.leftMargin: 120 * Theme.u; anchors.rightMargin: 120 * Theme.u
        radius: height / 2; color: "#dde7f3"
        Text { anchors.centerIn: parent; text: "\u25BC  \u25BC  \u25BC"; color: Theme.accentBlue
               font.pixelSize: 24 * Theme.s }
    }
}
