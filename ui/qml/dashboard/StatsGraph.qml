// A 2D graph of the supervisor dashboard (Qt Graphs' GraphsView, in a QQuickWidget): the
// categories along X, values up Y. The series (bars, lines) are made and added by ui/graphs.py.
import QtQuick
import QtGraphs

GraphsView {
    id: view
    objectName: "graph"
    property alias categories: xAxis.categories
    property alias maxValue: yAxis.max
    property alias labelFormat: yAxis.labelFormat
    property alias tickInterval: yAxis.tickInterval
    marginLeft: 8
    marginRight: 8
    marginTop: 8
    marginBottom: 4
    axisX: BarCategoryAxis {
        id: xAxis
        gridVisible: false
        subGridVisible: false
    }
    axisY: ValueAxis {
        id: yAxis
        min: 0
        max: 10
        subTickCount: 0
        labelFormat: "%.0f"
    }
    theme: GraphsTheme {
        colorScheme: GraphsTheme.ColorScheme.Light
        backgroundVisible: false
        plotAreaBackgroundColor: "#ffffff"
        grid.mainColor: "#d9dee5"
        labelTextColor: "#30363d"
        labelFont.pixelSize: 12
        axisXLabelFont.pixelSize: 12
        axisYLabelFont.pixelSize: 12
    }
}
