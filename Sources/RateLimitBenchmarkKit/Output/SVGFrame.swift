import Foundation

/// What every chart of the kit shares: a white page with a title and a subtitle, a plot area
/// inside margins with a logarithmic vertical axis, grid lines at its powers of ten, axis titles, a
/// border and legend entries on the right. The charts add their own horizontal axis and lines.
struct SVGFrame {
    var width: Double
    var height: Double
    var left = 80.0
    var right: Double
    var top: Double
    var bottom = 60.0
    /// The vertical axis's range: powers of ten around the values drawn.
    var low: Double
    var high: Double

    /// A frame whose vertical axis covers `values` (at least one decade).
    init(width: Double, height: Double, right: Double, top: Double, values: [Double]) {
        self.width = width
        self.height = height
        self.right = right
        self.top = top
        self.low = floorPowerOfTen(values.min() ?? 1)
        self.high = ceilPowerOfTen(values.max() ?? 10)
    }

    var plotWidth: Double { self.width - self.left - self.right }
    var plotHeight: Double { self.height - self.top - self.bottom }
    /// Where the legend's lines start.
    var legendX: Double { self.left + self.plotWidth + 15 }

    /// The vertical position of `value` on the logarithmic axis.
    func y(_ value: Double) -> Double {
        let span = max(log10(self.high) - log10(self.low), 1e-9)
        return self.top + self.plotHeight * (1 - (log10(max(value, 1)) - log10(self.low)) / span)
    }

    /// The opening tag, the page, the title and the subtitle.
    func header(title: String, subtitle: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(self.width))" height="\(Int(self.height))" viewBox="0 0 \(Int(self.width)) \(Int(self.height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(self.left)" y="22" font-size="15" font-weight="bold">\(SVGChart.escape(title))</text>
        <text x="\(self.left)" y="40" fill="#555">\(SVGChart.escape(subtitle))</text>

        """
    }

    /// A grid line and a label (`label(value)`) at every power of ten of the vertical axis.
    func verticalAxisGrid(label: (Double) -> String) -> String {
        let f = SVGChart.f
        var svg = ""
        var decade = self.low
        while decade <= self.high * 1.0001 {
            let position = self.y(decade)
            svg +=
                "<line x1=\"\(f(self.left))\" y1=\"\(f(position))\" x2=\"\(f(self.left + self.plotWidth))\" y2=\"\(f(position))\" stroke=\"#ddd\"/>\n"
            svg +=
                "<text x=\"\(f(self.left - 8))\" y=\"\(f(position + 4))\" text-anchor=\"end\">\(SVGChart.escape(label(decade)))</text>\n"
            decade *= 10
        }
        return svg
    }

    /// A label under the plot at horizontal position `x`.
    func horizontalAxisLabel(_ label: String, at x: Double) -> String {
        let f = SVGChart.f
        return
            "<text x=\"\(f(x))\" y=\"\(f(self.top + self.plotHeight + 20))\" text-anchor=\"middle\">\(SVGChart.escape(label))</text>\n"
    }

    /// Both axes' titles and the plot's border.
    func axisTitlesAndBorder(horizontal: String, vertical: String) -> String {
        let f = SVGChart.f
        return """
            <text x="\(f(self.left + self.plotWidth / 2))" y="\(f(self.height - 15))" text-anchor="middle">\(SVGChart.escape(horizontal))</text>
            <text transform="translate(18 \(f(self.top + self.plotHeight / 2))) rotate(-90)" text-anchor="middle">\(SVGChart.escape(vertical))</text>
            <rect x="\(f(self.left))" y="\(f(self.top))" width="\(f(self.plotWidth))" height="\(f(self.plotHeight))" fill="none" stroke="#999"/>

            """
    }

    /// One legend entry at height `y`: a short line in the engine's colour (and dash) and its name.
    func legendEntry(y: Double, color: String, dash: String, label: String) -> String {
        let f = SVGChart.f
        return """
            <line x1="\(f(self.legendX))" y1="\(f(y))" x2="\(f(self.legendX + 25))" y2="\(f(y))" stroke="\(color)" stroke-width="2"\(dash)/>
            <text x="\(f(self.legendX + 31))" y="\(f(y + 4))">\(SVGChart.escape(label))</text>

            """
    }
}
