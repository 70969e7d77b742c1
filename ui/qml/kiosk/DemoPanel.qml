// Demo only: lets a person "insert" a simulated ID card, "scan" a code or empty the printer.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Rectangle {
    id: panel
    objectName: "demoPanel"
    width: 300; height: col.implicitHeight + 24
    radius: 14; color: "#f0fff6e0"; border.color: "#d4a017"; border.width: 2
    property bool open: false
    ColumnLayout {
        id: col; anchors.fill: parent; anchors.margins: 12; spacing: 8
        Button { text: root.bridge.demoLabels.title + (panel.open ? " ▾" : " ▸"); Layout.fillWidth: true
                 onClicked: panel.open = !panel.open; font.pixelSize: 20 }
        ComboBox {
            id: who; visible: panel.open; Layout.fillWidth: true; font.pixelSize: 18
            model: root.bridge.demoIdentities; textRole: "label"; valueRole: "key"
        }
        Button { visible: panel.open; Layout.fillWidth: true; font.pixelSize: 20; objectName: "demo_card"
                 text: root.bridge.demoLabels.card; onClicked: root.bridge.demoInsertCard(who.currentValue) }
        Button { visible: panel.open; Layout.fillWidth: true; font.pixelSize: 20
                 text: root.bridge.demoLabels.remove; onClicked: root.bridge.demoRemoveCard() }
        ComboBox {
            id: code; visible: panel.open; Layout.fillWidth: true; font.pixelSize: 18
            model: root.bridge.demoCodes; textRole: "label"; valueRole: "value"
        }
        Button { visible: panel.open; Layout.fillWidth: true; font.pixelSize: 20
                 text: root.bridge.demoLabels.scan; onClicked: root.bridge.demoScan(code.currentValue) }
        Button { visible: panel.open; Layout.fillWidth: true; font.pixelSize: 20
                 text: root.bridge.paperOut ? root.bridge.demoLabels.paper_ok : root.bridge.demoLabels.paper_out
                 onClicked: root.bridge.demoPaper(!root.bridge.paperOut) }
    }
}
