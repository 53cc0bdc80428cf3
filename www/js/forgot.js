/*
 * forgot.js: the forgot-password page.  It posts the address to the
 * recover endpoint and always says the same thing on 202, so the page
 * tells nobody whether an account uses the address.  The typed address is
 * kept on every refusal.
 */
(function () {
	"use strict";
	var AR = window.AR;

	AR.ready(function () {
		var form = document.getElementById("form");
		var email = document.getElementById("email");
		var button = document.getElementById("submit");
		var busy = false;

		AR.describe("email");
		email.focus();

		form.addEventListener("submit", function (ev) {
			ev.preventDefault();
			if (busy)
				return;
			AR.clearErrors();
			var value = email.value.trim();
			if (value === "") {
				AR.showErrors([{ field: "email", text: AR.t("forgot.email.missing") }]);
				return;
			}
			busy = true;
			button.disabled = true;
			AR.post("recover/", { email: value, locale: AR.lang }, function (res) {
				busy = false;
				button.disabled = false;
				if (res.status === 202 || res.status === 200) {
					form.hidden = true;
					var done = document.getElementById("done");
					done.hidden = false;
					done.focus();
					return;
				}
				if (res.status === 400 && res.body &&
				    res.body.error === "invalid_email") {
					AR.showErrors([{ field: "email", text: AR.t("forgot.email.invalid") }]);
					return;
				}
				AR.showErrors([{ field: null, text: AR.generalError(res) }]);
			});
		});
	});
})();
