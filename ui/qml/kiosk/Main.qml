// The citizen kiosk window: header (hall, clock, language, elder mode, help), offline banner,
// the current flow's page, back/home, idle countdown, the demo panel and the virtual keyboard.
// It renders bridge.view (from kiosk/) and sends taps back with bridge.act(); no logic here.
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.VirtualKeyboard
import QtQuick.VirtualKeyboard.Settings
import HallKiosk
import "../common"
import "pages"

ApplicationWindow {
    id: root
    width: 1920; height: 1080
    visible: true
    title: root.labels.window_title || ""
    color: Theme.background
    required property KioskBridge bridge
    font.family: root.bridge.fontFamily
    property var view: root.bridge.view
    property var page: view.screen || ({})
    property var labels: view.labels || ({})
    property bool portrait: height > width
    // The unit for this screen; Theme carries it (and elder mode) to every page.
    property real u: Theme.unitFor(width, height)
    Binding { target: Theme; property: "u"; value: root.u }
    Binding { target: Theme; property: "portrait"; value: root.portrait }
    Binding { target: Theme; property: "elder"; value: !!root.view.elder }
    Binding { target: Theme; property: "typing"; value: keyboard.active }
    function buttonWidth(preferred: real, available: real): real {
        return Theme.buttonWidth(preferred, (root.page.buttons || []).length,
                                 available === undefined ? pageLoader.width : available)
    }

    function act(name: string, args: var) { root.bridge.act(name, args || {}) }
    // Pinyin for Chinese, with English one tap away on the keyboard's language key.
    Component.onCompleted: VirtualKeyboardSettings.activeLocales = ["zh_CN", "en_US"]
    Binding { target: VirtualKeyboardSettings; property: "locale"
              value: root.view.language === "en" ? "en_US" : "zh_CN" }

    // One component per screen template (kiosk/flows/base.py): each page takes the screen as
    // `page` and reports taps with its act(name, args) signal.
    Component { id: menuPage; MenuPage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: cardPage; CardPage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: messagePage; MessagePage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: ticketPage; TicketPage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: formPage; FormPage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: guidePage; GuidePage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: searchPage; SearchPage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: reviewPage; ReviewPage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: ratingPage; RatingPage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: reasonsPage; ReasonsPage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: scoresPage; ScoresPage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: keypadPage; KeypadPage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: textPage; TextPage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: materialsPage; MaterialsPage { page: root.page; onAct: (name, args) => root.act(name, args) } }
    Component { id: cameraPage; CameraPage { page: root.page; s: Theme.s; u: Theme.u
                                             buttonWidth: root.buttonWidth(380 * Theme.s, pageLoader.width)
                                             onAct: name => root.act(name, {}) } }
    readonly property var pages: ({menu: menuPage, card: cardPage, message: messagePage, ticket: ticketPage,
                                   form: formPage, guide: guidePage, search: searchPage, review: reviewPage,
                                   rating: ratingPage, reasons: reasonsPage, scores: scoresPage, keypad: keypadPage, text: textPage,
                                   materials: materialsPage, camera: cameraPage})

    header: Rectangle {
        // room for buttons of Theme.touch (or elder mode's larger ones) and a margin
        height: Math.max(96 * Theme.s, Theme.touch + 16 * Theme.u)
        color: Theme.ink
        RowLayout {
            anchors.fill: parent; anchors.leftMargin: 32 * Theme.u; anchors.rightMargin: 24 * Theme.u; spacing: 18 * Theme.u
            Text {
                text: root.bridge.hallName; color: "white"; font.bold: true
                font.pixelSize: 36 * Theme.s; Layout.fillWidth: true; elide: Text.ElideRight
                Layout.fillHeight: true; verticalAlignment: Text.AlignVCenter  // the hold area: the bar's height
                // Technicians: hold the hall name for 3 seconds (then a PIN is asked).
                MouseArea { anchors.fill: parent; pressAndHoldInterval: 3000
                            onPressAndHold: root.bridge.openTechnician() }
            }
            Text { id: clock; color: Theme.headerText; font.pixelSize: 30 * Theme.s }
            Timer { interval: 1000; running: true; repeat: true; triggeredOnStart: true
                    onTriggered: clock.text = Qt.formatDateTime(new Date(), "MM-dd hh:mm") }
            Repeater {
                model: [["language", root.labels.language], ["elder", root.labels.elder], ["help", root.labels.help]]
                delegate: Button {
                    id: headerButton
                    required property var modelData
                    objectName: "header_" + modelData[0]
                    text: modelData[1] || ""
                    font.pixelSize: 26 * Theme.s
                    implicitHeight: Math.max(Theme.touch, 68 * Theme.s)
                    implicitWidth: Math.max(Theme.touch * 1.4, implicitContentWidth + leftPadding + rightPadding)
                    onClicked: root.act(modelData[0], {})
                    background: Rectangle {
                        radius: 12 * Theme.u
                        color: headerButton.modelData[0] === "help" ? Theme.help
                             : (headerButton.modelData[0] === "elder" && root.view.elder) ? Theme.accentGreen
                             : Theme.headerButton
                    }
                    contentItem: Text { text: headerButton.text; color: "white"; font: headerButton.font
                                        horizontalAlignment: Text.AlignHCenter; verticalAlignment: Text.AlignVCenter
                                        leftPadding: 14 * Theme.u; rightPadding: 14 * Theme.u }
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
                id: bannerText; anchors.fill: parent; anchors.margins: 12 * Theme.u
                text: root.view.banner ? root.view.banner.text : ""
                color: "white"; font.pixelSize: 24 * Theme.s; wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter; verticalAlignment: Text.AlignVCenter
            }
        }
        Text {
            Layout.fillWidth: true; Layout.topMargin: 28 * Theme.s; Layout.leftMargin: 48 * Theme.u; Layout.rightMargin: 48 * Theme.u
            text: root.page.title || ""
            font.pixelSize: 48 * Theme.s; font.bold: true; color: "#12355b"
            wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
            objectName: "pageTitle"
        }
        Loader {
            id: pageLoader
            objectName: "pageLoader"
            Layout.fillWidth: true; Layout.fillHeight: true
            Layout.margins: 32 * Theme.u
            sourceComponent: root.pages[root.page.template] || null
        }
        RowLayout {
            Layout.fillWidth: true; Layout.margins: 24 * Theme.u; spacing: 24 * Theme.u
            // A ticket or receipt page has its own "done" button: the space goes to the number.
            visible: root.view.flow !== "home" && !keyboard.active
                     && !(root.page.template === "ticket" && (root.page.buttons || []).length > 0)
            BigButton { objectName: "nav_back"; text: root.labels.back || ""; scale_: Theme.s * 0.8
                        Layout.preferredWidth: 300 * Theme.s; onClicked: root.act("back", {}) }
            Item { Layout.fillWidth: true }
            BigButton { objectName: "nav_home"; text: root.labels.home || ""; scale_: Theme.s * 0.8
                        Layout.preferredWidth: 300 * Theme.s; onClicked: root.act("home", {}) }
        }
    }

    // Toast for short notices (help called, card not needed here).
    Rectangle {
        objectName: "notice"
        visible: (root.view.notice || "") !== ""
        anchors.horizontalCenter: parent.horizontalCenter
        anchors.bottom: parent.bottom; anchors.bottomMargin: 150 * Theme.u
        width: Math.min(parent.width - 80, noticeText.implicitWidth + 60); height: noticeText.implicitHeight + 40
        radius: 20 * Theme.u; color: "#243b55"; opacity: 0.95
        Text { id: noticeText; anchors.centerIn: parent; width: parent.width - 60; text: root.view.notice || ""
               color: "white"; font.pixelSize: 28 * Theme.s; wrapMode: Text.WordWrap
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
            anchors.centerIn: parent; spacing: 40 * Theme.u; width: parent.width * 0.7
            Text {
                width: parent.width; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap
                text: (root.labels.countdown || "").replace("{n}", root.view.countdown)
                color: "white"; font.pixelSize: 44 * Theme.s; font.bold: true
            }
            BigButton { anchors.horizontalCenter: parent.horizontalCenter; objectName: "stay"
                        text: root.labels.stay || ""; accent: "green"; scale_: Theme.s; width: 520 * Theme.s
                        onClicked: root.act("touch", {}) }
        }
    }

    // Speech mode (ui/speech_nav.py): the keypad's focused choice outlined, and the screen dark
    // for privacy while the citizen listens in the headphones.
    Rectangle {
        objectName: "speechFocus"
        visible: false; z: 97
        color: "transparent"; border.color: "#f1c40f"; border.width: 6; radius: 12
    }
    Rectangle {
        objectName: "speechBlank"
        anchors.fill: parent; z: 98
        visible: !!root.view.speech_blank
        color: "black"
    }

    DemoPanel {
        bridge: root.bridge
        visible: root.bridge.demoEnabled
        anchors.right: parent.right; anchors.bottom: parent.bottom; anchors.margins: 12 * Theme.u
        anchors.bottomMargin: keyboard.active ? keyboard.height + 12 : 140 * Theme.u
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
