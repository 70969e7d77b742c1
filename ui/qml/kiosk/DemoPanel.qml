// Demo only: lets a person "insert" a simulated ID card, "scan" a code or empty the printer.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import HallKiosk

Rectangle {
    id: panel
    objectName: "demoPanel"
    width: 300; height: col.implicitHeight + 24
    radius: 14; color: "#f0fff6e0"; border.color: "#d4a017"; border.width: 2
    required property KioskBridge bridge
    property bool open: false
    ColumnLayout {
        id: col; anchors.fill: parent; anchors.margins: 12; spacing: 8
        Button { text: panel.bridge.demoLabels.title + (panel.open ? " ▾" : " ▸"); Layout.fillWidth: true
                 onClicked: panel.open = !panel.open; font.pixelSize: 20 }
        ComboBox {
            id: who; visible: panel.open; Layout.fillWidth: true; font.pixelSize: 18
            model: panel.bridge.demoIdentities; textRole: "label"; valueRole: "key"
        }
        Button { visible: panel.open; Layout.fillWidth: true; font.pixelSize: 20; objectName: "demo_card"
                 text: panel.bridge.demoLabels.card; onClicked: panel.bridge.demoInsertCard(who.currentValue) }
        Button { visible: panel.open; Layout.fillWidth: true; font.pixelSize: 20
                 text: panel.bridge.demoLabels.remove; onClicked: panel.bridge.demoRemoveCard() }
        ComboBox {
            id: code; visible: panel.open; Layout.fillWidth: true; font.pixelSize: 18
            model: panel.bridge.demoCodes; textRole: "label"; valueRole: "value"
        }
        Button { visible: panel.open; Layout.fillWidth: true; font.pixelSize: 20
                 text: panel.bridge.demoLabels.scan; onClicked: panel.bridge.demoScan(code.currentValue) }
        Button { visible: panel.open; Layout.fillWidth: true; font.pixelSize: 20
                 text: panel.bridge.paperOut ? panel.bridge.demoLabels.paper_ok : panel.bridge.demoLabels.paper_out
                 onClicked: panel.bridge.demoPaper(!panel.bridge.paperOut) }
    }
}
