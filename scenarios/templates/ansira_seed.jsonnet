local event = (import "lytemplates.libsonnet");
{
	"email": event.get("email", ""),
  "sourceCode": {
  	"keyName": "XXXXXXXXXXXXX"
  }
}
