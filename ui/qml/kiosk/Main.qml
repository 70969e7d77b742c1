// The citizen kiosk window: header (hall, clock, language, elder mode, help), offline banner,
// the current flow's page, back/home, idle countdown, the demo panel and the virtual keyboard.
// It renders bridge.view (from kiosk/) and sends taps back with bridge.act(); no logic here.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.VirtualKeyboard
import QtQuick.VirtualKeyboard.Settings
import "../common"

ApplicationWindow {
    id: root
    width: 1920; height: 1080
    visible: true
    title: "政务服务自助终端"
    color: "#eef3f9"
    required property var bridge
    font.family: bridge.fontFamily
    property var view: bridge.view
    property var page: view.screen || ({})
    property var labels: view.labels || ({})
    // Sizes are designed for 1920×1080 (1080×1920 upright): u scales them to the real screen
    // (1280×720, 1366×768, a 4K TV) and s adds elder mode's larger text on top.
    property bool portrait: height > width
    property real u: Math.max(0.5, portrait ? Math.min(width / 1080, height / 1920)
                                            : Math.min(width / 1920, height / 1080))
    property real s: u * (view.elder ? 1.45 : 1.0)
    property int columns: portrait ? 2 : (view.elder ? 2 : 3)

    function act(name, args) { bridge.act(name, args || {}) }
    // Width of one of the page's buttons side by side in `available` px (default: the page's
    // width): `preferred`, or less so that the row fits (an upright screen, elder mode).
    function buttonWidth(preferred, available) {
        var n = Math.max(1, (page.buttons || []).length)
        var room = available === undefined ? pageLoader.width : available
        return Math.max(0, Math.min(preferred, (room - 32 * u * (n - 1)) / n))
    }
    // Pinyin for Chinese, with English one tap away on the keyboard's language key.
    Component.onCompleted: VirtualKeyboardSettings.activeLocales = ["zh_CN", "en_US"]
    Binding { target: VirtualKeyboardSettings; property: "locale"
              value: root.view.language === "en" ? "en_US" : "zh_CN" }
    function pageFile(template) {
        return "pages/" + template.charAt(0).toUpperCase() + template.slice(1) + "Page.qml"
    }

    header: Rectangle {
        height: 96 * root.s
        color: "#12355b"
        RowLayout {
            anchors.fill: parent; anchors.leftMargin: 32 * root.u; anchors.rightMargin: 24 * root.u; spacing: 18 * root.u
            Text {
                text: bridge.hallName; color: "white"; font.bold: true
                font.pixelSize: 36 * root.s; Layout.fillWidth: true; elide: Text.ElideRight
                // Technicians: hold the hall name for 3 seconds (then a PIN is asked).
                MouseArea { anchors.fill: parent; pressAndHoldInterval: 3000
                            onPressAndHold: bridge.openTechnician() }
            }
            Text { id: clock; color: "#cfe0f5"; font.pixelSize: 30 * root.s }
            Timer { interval: 1000; running: true; repeat: true; triggeredOnStart: true
                    onTriggered: clock.text = Qt.formatDateTime(new Date(), "MM-dd hh:mm") }
            Repeater {
                model: [["language", labels.language], ["elder", labels.elder], ["help", labels.help]]
                delegate: Button {
                    objectName: "header_" + modelData[0]
                    text: modelData[1] || ""
                    font.pixelSize: 26 * root.s
                    implicitHeight: 68 * root.s
                    onClicked: root.act(modelData[0])
                    background: Rectangle {
                        radius: 12 * root.u
                        color: modelData[0] === "help" ? "#e67e22"
                             : (modelData[0] === "elder" && root.view.elder) ? "#1f8f4e" : "#27507f"
                    }
                    contentItem: Text { text: parent.text; color: "white"; font: parent.font
                                        horizontalAlignment: Text.AlignHCenter; verticalAlignment: Text.AlignVCenter
                                        leftPadding: 14 * root.u; rightPadding: 14 * root.u }
                }
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.bottomMargin: keyboard.active ? keyboard.height : 0
        spacing: 0
        Rectangle {
            objectName: "banner"
            Layout.fillWidth: true
            visible: !!root.view.banner
            implicitHeight: bannerText.implicitHeight + 24
            color: root.view.banner && root.view.banner.kind === "offline" ? "#b03a2e" : "#b9770e"
            Text {
                id: bannerText; anchors.fill: parent; anchors.margins: 12 * root.u
                text: root.view.banner ? root.view.banner.text : ""
                color: "white"; font.pixelSize: 24 * root.s; wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter; verticalAlignment: Text.AlignVCenter
            }
        }
        Text {
            Layout.fillWidth: true; Layout.topMargin: 28 * root.s; Layout.leftMargin: 48 * root.u; Layout.rightMargin: 48 * root.u
            text: root.page.title || ""
            font.pixelSize: 48 * root.s; font.bold: true; color: "#12355b"
            wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
            objectName: "pageTitle"
        }
        Loader {
            id: pageLoader
            objectName: "pageLoader"
            Layout.fillWidth: true; Layout.fillHeight: true
            Layout.margins: 32 * root.u
            source: root.page.template ? root.pageFile(root.page.template) : ""
            // A page that declares its inputs (CameraPage) gets them here instead of reading root.
            onLoaded: if (item.objectName === "cameraPage") {
                item.page = Qt.binding(function() { return root.page })
                item.s = Qt.binding(function() { return root.s })
                item.u = Qt.binding(function() { return root.u })
                item.buttonWidth = Qt.binding(function() { return root.buttonWidth(380 * root.s) })
                item.act.connect(function(name) { root.act(name) })
            }
        }
        RowLayout {
            Layout.fillWidth: true; Layout.margins: 24 * root.u; spacing: 24 * root.u
            // A ticket or receipt page has its own "done" button: the space goes to the number.
            visible: root.view.flow !== "home" && !keyboard.active
                     && !(root.page.template === "ticket" && (root.page.buttons || []).length > 0)
            BigButton { objectName: "nav_back"; text: labels.back || ""; scale_: root.s * 0.8
                        Layout.preferredWidth: 300 * root.s; onClicked: root.act("back") }
            Item { Layout.fillWidth: true }
            BigButton { objectName: "nav_home"; text: labels.home || ""; scale_: root.s * 0.8
                        Layout.preferredWidth: 300 * root.s; onClicked: root.act("home") }
        }
    }

    // Toast for short notices (help called, card not needed here).
    Rectangle {
        objectName: "notice"
        visible: (root.view.notice || "") !== ""
        anchors.horizontalCenter: parent.horizontalCenter
        anchors.bottom: parent.bottom; anchors.bottomMargin: 150 * root.u
        width: Math.min(parent.width - 80, noticeText.implicitWidth + 60); height: noticeText.implicitHeight + 40
        radius: 20 * root.u; color: "#243b55"; opacity: 0.95
        Text { id: noticeText; anchors.centerIn: parent; width: parent.width - 60; text: root.view.notice || ""
               color: "white"; font.pixelSize: 28 * root.s; wrapMode: Text.WordWrap
               horizontalAlignment: Text.AlignHCenter }
    }

    // Idle countdown: the session is about to be wiped.
    Rectangle {
        objectName: "countdown"
        anchors.fill: parent
        visible: (root.view.countdown || 0) > 0
        color: "#cc0b1a2b"
        MouseArea { anchors.fill: parent }
        Column {
            anchors.centerIn: parent; spacing: 40 * root.u; width: parent.width * 0.7
            Text {
                width: parent.width; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap
                text: (labels.countdown || "").replace("{n}", root.view.countdown)
                color: "white"; font.pixelSize: 44 * root.s; font.bold: true
            }
            BigButton { anchors.horizontalCenter: parent.horizontalCenter; objectName: "stay"
                        text: labels.stay || ""; accent: "green"; scale_: root.s; width: 520 * root.s
                        onClicked: root.act("touch") }
        }
    }

    DemoPanel {
        visible: bridge.demoEnabled
        anchors.right: parent.right; anchors.bottom: parent.bottom; anchors.margins: 12 * root.u
        anchors.bottomMargin: keyboard.active ? keyboard.height + 12 : 140 * root.u
    }

    InputPanel {
        id: keyboard
        objectName: "keyboard"
        z: 99
        // Full width upright; on a landscape screen two thirds, centred, so that what the citizen
        // types into (and the search results) stays visible above the keys.
        width: root.portrait ? root.width : Math.round(root.width * 0.66)
        x: (root.width - width) / 2
        y: active ? root.height - root.header.height - height : root.height
    }
}
