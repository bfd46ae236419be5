// "Print" buttons (<button data-print>) on the shipment manifest and the label sheets; a static
// file because the Content-Security-Policy allows no inline handler.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
