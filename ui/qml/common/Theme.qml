// Sizes and colours of the citizen kiosk, one instance per QML engine (a singleton, see qmldir).
// Sizes are designed for 1920×1080 (1080×1920 upright): Main.qml sets `u` for the real screen
// (1280×720, 1366×768, a 4K TV) and `elder`; `s` adds elder mode's larger text on top.
pragma Singleton
import QtQuick

QtObject {
    // Set by the kiosk window (Main.qml) from its size and the view's elder mode.
    property real u: 1.0
    property bool portrait: false
    property bool elder: false
    // The on-screen keyboard is up: pages give its room to what is being typed.
    property bool typing: false
    readonly property real s: u * (elder ? 1.45 : 1.0)
    // The least a fingertip meets, both ways: 90 px at 1080 lines (about 15 mm on a hall's 24"
    // panel), the same share of a smaller screen; elder mode's sizes only add to it.
    readonly property real touch: 90 * u
    // Columns of a menu of choices: fewer, wider ones upright and in elder mode.
    readonly property int columns: portrait ? 2 : (elder ? 2 : 3)

    // The unit for a window of this size (never below half the design size).
    function unitFor(width: real, height: real): real {
        return Math.max(0.5, height > width ? Math.min(width / 1080, height / 1920)
                                            : Math.min(width / 1920, height / 1080))
    }
    // Width of one of `count` buttons side by side in `room` px: `preferred`, or less so that the
    // row fits (an upright screen, elder mode).
    function buttonWidth(preferred: real, count: int, room: real): real {
        var n = Math.max(1, count)
        return Math.max(0, Math.min(preferred, (room - 32 * u * (n - 1)) / n))
    }

    readonly property color background: "#eef3f9"
    readonly property color ink: "#12355b"          // titles, header bar, values
    readonly property color body: "#34495e"         // explanatory lines
    readonly property color muted: "#4a5d73"        // secondary text
    readonly property color accentBlue: "#1c5fb8"
    readonly property color accentGreen: "#187a42"  // ≥ 4.5:1 under white text
    readonly property color accentRed: "#c0392b"
    readonly property color problem: "#b03a2e"      // errors, offline banner, unprinted ticket
    readonly property color warning: "#a85300"      // warning banner, pending material (≥ 4.5:1 under white)
    readonly property color help: "#a85300"        // the help button, warning messages (≥ 4.5:1 under white)
    readonly property color border: "#c9d6e6"
    readonly property color headerButton: "#27507f"
    readonly property color headerText: "#cfe0f5"
}
