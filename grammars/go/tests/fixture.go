// Package geometry measures shapes.
package geometry

import (
	"fmt"
	"math"
)

import "strings"

// Limit caps the number of points.
const Limit = 10

var registry = map[string]Shape{}

// Shape is anything with an area.
type Shape interface {
	Area() float64
}

// Point is a place in the plane.
type Point struct {
	X, Y float64
	Name string
}

type Celsius float64

// Norm returns the distance from the origin.
// It never fails.
func (p *Point) Norm() float64 {
	return math.Sqrt(p.X*p.X + p.Y*p.Y)
}

// a comment that is not attached

func Distance(a, b Point) float64 {
	d := Point{X: a.X - b.X, Y: a.Y - b.Y}
	label := strings.ToUpper(a.Name)
	fmt.Println(label)
	return d.Norm()
}
