// Shapes and their areas.
#include <cmath>
#include <memory>
#include <string>
#include <vector>
#include "shape.hpp"

using std::string;

namespace geometry {

constexpr double kPi = 3.14159265358979;

/// Something with an area.
class Shape {
public:
    virtual ~Shape() = default;
    /// The area in square units.
    virtual double area() const = 0;
    string name() const { return name_; }

protected:
    string name_;
};

// A circle around the origin.
class Circle : public Shape {
public:
    explicit Circle(double radius) : radius_(radius) {}

    double area() const override {
        return kPi * std::pow(radius_, 2);
    }

private:
    double radius_;
};

struct Point {
    double x;
    double y;
};

/// The sum of the areas.
template <typename T>
double total_area(const std::vector<std::unique_ptr<T>>& shapes) {
    double sum = 0;
    for (const auto& shape : shapes) {
        sum += shape->area();
    }
    return sum;
}

}  // namespace geometry

int main() {
    std::vector<std::unique_ptr<geometry::Shape>> shapes;
    shapes.push_back(std::make_unique<geometry::Circle>(2.0));
    auto circle = new geometry::Circle(1.0);
    delete circle;
    return geometry::total_area(shapes) > 0 ? 0 : 1;
}
